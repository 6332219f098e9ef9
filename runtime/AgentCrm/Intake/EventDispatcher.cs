using System.Threading.Channels;
using AgentCrm.Actors;
using AgentCrm.Customers;
using AgentCrm.Storage;
using Microsoft.Extensions.Options;

namespace AgentCrm.Intake;

/// <summary>
/// Delivers inbox events to customer actors in inbox order. Each customer's events reach its actor in
/// order (the host enqueues synchronously), different customers run in parallel up to
/// Intake:MaxInFlight. A persisted watermark marks the prefix of the inbox that is fully processed; after
/// a crash everything above it is delivered again and the actor's sequence check drops what it already
/// applied, so every accepted event is processed exactly once.
/// </summary>
public sealed partial class EventDispatcher(
    EventStore store,
    IActorHost host,
    SqliteDatabase database,
    SqliteWriter writer,
    IOptions<IntakeOptions> options,
    ILogger<EventDispatcher> logger) : BackgroundService
{
    private const string WatermarkKey = "dispatch.watermark";
    private const int ReadBatch = 2048;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _watermark;

    /// <summary>Every event at or below this sequence has been processed.</summary>
    public long Watermark => Interlocked.Read(ref _watermark);

    /// <summary>Highest sequence handed to an actor.</summary>
    public long Dispatched { get; private set; }

    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        store.Appended += Wake;
        _watermark = ReadWatermark();
        var cursor = _watermark;
        Dispatched = cursor;
        var inFlight = new Queue<(long Seq, Task<bool> Settled)>();
        var gate = new SemaphoreSlim(options.Value.MaxInFlight);
        long persisted = _watermark;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var batch = store.ReadAfter(cursor, ReadBatch);
                foreach (var e in batch)
                {
                    await gate.WaitAsync(stoppingToken);
                    inFlight.Enqueue((e.Seq, DeliverAsync(e, gate, stoppingToken)));
                    cursor = e.Seq;
                    Dispatched = cursor;
                    if (inFlight.Count % 256 == 0)
                        Advance(inFlight);
                }
                Advance(inFlight);
                if (Watermark != persisted)
                    persisted = await PersistAsync(Watermark);
                if (batch.Count < ReadBatch)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(inFlight.Count > 0 ? TimeSpan.FromMilliseconds(20) : TimeSpan.FromSeconds(1));
                    try
                    {
                        await _wake.Reader.ReadAsync(timeout.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            store.Appended -= Wake;
            // Let delivered turns finish so their progress is recorded; undelivered events stay above the watermark.
            await Task.WhenAll(inFlight.Select(f => f.Settled)).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
            Advance(inFlight);
            if (Watermark != persisted)
                await PersistAsync(Watermark);
        }
    }

    /// <summary>True when the event is settled (applied, or a poison event recorded); false when it must be redelivered.</summary>
    private async Task<bool> DeliverAsync(StoredEvent e, SemaphoreSlim gate, CancellationToken stoppingToken)
    {
        try
        {
            await host.InvokeAsync(new ActorId(CustomerActor.TypeName, e.Event.CustomerId), CustomerActor.ApplyMethod, new ApplyEvent(e.Seq, e.Event, e.ReceivedAt), CancellationToken.None);
            return true;
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex)
        {
            LogPoison(ex, e.Event.Id, e.Seq, e.Event.CustomerId);
            await writer.WriteAsync(ctx =>
            {
                var cmd = ctx.Command("INSERT OR REPLACE INTO dead_letters (seq, event_id, error, at) VALUES ($s, $id, $e, $at)", "$s", "$id", "$e", "$at");
                cmd.Parameters["$s"].Value = e.Seq;
                cmd.Parameters["$id"].Value = e.Event.Id;
                cmd.Parameters["$e"].Value = ex.GetType().Name + ": " + ex.Message;
                cmd.Parameters["$at"].Value = DateTimeOffset.UtcNow.ToString("O");
            });
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    private void Advance(Queue<(long Seq, Task<bool> Settled)> inFlight)
    {
        while (inFlight.Count > 0 && inFlight.Peek().Settled.IsCompletedSuccessfully && inFlight.Peek().Settled.Result)
            Interlocked.Exchange(ref _watermark, inFlight.Dequeue().Seq);
    }

    private async Task<long> PersistAsync(long watermark)
    {
        await writer.WriteAsync(ctx =>
        {
            var cmd = ctx.Command("INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value", "$k", "$v");
            cmd.Parameters["$k"].Value = WatermarkKey;
            cmd.Parameters["$v"].Value = watermark.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        return watermark;
    }

    private long ReadWatermark()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", WatermarkKey);
        return cmd.ExecuteScalar() is string s ? long.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {EventId} (seq {Seq}) for customer {CustomerId} failed in its actor; recorded in dead_letters")]
    private partial void LogPoison(Exception ex, string eventId, long seq, string customerId);
}

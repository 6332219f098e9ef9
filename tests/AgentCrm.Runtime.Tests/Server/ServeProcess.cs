using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>`agentcrm serve` as a child process whose output is kept, and which can be sent a signal.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private Uri? _address;

    private ServeProcess(Process process)
    {
        _process = process;
    }

    /// <summary>
    /// The server's address once it listens (waited for, up to 60 s). It listens on a port the kernel picks (port 0), read
    /// from /proc (<see cref="ListeningPort"/>): a port picked free by the test could be taken before the server bound it.
    /// </summary>
    public Uri Address => _address ??= WaitForAddress();

    public string Stdout => string.Join('\n', _stdout);

    public string Stderr => string.Join('\n', _stderr);

    public static ServeProcess Start(string dir, Dictionary<string, string> environment, params string[] moreArgs)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "agentcrm.dll"), "serve", "--data", dir, "--urls", "http://127.0.0.1:0", .. moreArgs])
            info.ArgumentList.Add(arg);
        info.Environment["Storage__Synchronous"] = "Normal";
        foreach (var (k, v) in environment)
            info.Environment[k] = v;
        var process = Process.Start(info)!;
        var server = new ServeProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) server._stdout.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) server._stderr.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>The address it listens on, or null while it listens on none.</summary>
    private Uri? ListeningAddress() => _address ??= ListeningPort.Of(_process.Id) is { } port ? new Uri($"http://127.0.0.1:{port}") : null;

    private Uri WaitForAddress()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        Uri? address;
        while ((address = ListeningAddress()) is null)
        {
            Assert.False(_process.HasExited, $"the server exited before it listened: {Stdout}\n{Stderr}");
            Assert.True(DateTime.UtcNow < deadline, $"the server did not listen within 60 s: {Stdout}\n{Stderr}");
            Thread.Sleep(10);
        }
        return address;
    }

    public async Task WaitForOutputAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(_process.HasExited, $"the server exited: {Stdout}\n{Stderr}");
            Assert.True(DateTime.UtcNow < deadline, $"no '{text}' in the output within 60 s: {Stdout}");
            await Task.Delay(10);
        }
    }

    /// <summary>Whether it listens and answers /readyz with 200 (an answer that takes past 30 s counts as not ready yet).</summary>
    public async Task<bool> IsReadyAsync()
    {
        if (ListeningAddress() is not { } address)
            return false;
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            return (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    public async Task WaitForReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await IsReadyAsync())
        {
            Assert.False(_process.HasExited, $"the server exited: {Stdout}\n{Stderr}");
            Assert.True(DateTime.UtcNow < deadline, $"not ready within 60 s: {Stdout}\n{Stderr}");
            await Task.Delay(100);
        }
    }

    /// <summary>Sends the signal (e.g. 15, SIGTERM) with kill(1).</summary>
    public void Signal(int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    /// <summary>A port nothing listens on now (bound and released): for addresses that must refuse, not for a server to bind.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

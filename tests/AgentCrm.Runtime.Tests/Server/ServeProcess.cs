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

    private ServeProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public string Stdout => string.Join('\n', _stdout);

    public string Stderr => string.Join('\n', _stderr);

    public static ServeProcess Start(string dir, Dictionary<string, string> environment, params string[] moreArgs)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "agentcrm.dll"), "serve", "--data", dir, "--urls", $"http://127.0.0.1:{port}", .. moreArgs])
            info.ArgumentList.Add(arg);
        info.Environment["Storage__Synchronous"] = "Normal";
        foreach (var (k, v) in environment)
            info.Environment[k] = v;
        var process = Process.Start(info)!;
        var server = new ServeProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) server._stdout.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) server._stderr.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
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

    public async Task<bool> IsReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

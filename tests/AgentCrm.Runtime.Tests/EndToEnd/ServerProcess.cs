using System.Diagnostics;
using System.Net;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>The real `agentcrm serve` as a child process (the built agentcrm.dll beside the tests).</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri address, string adminKey)
    {
        _process = process;
        Address = address;
        AdminKey = adminKey;
    }

    public Uri Address { get; }

    /// <summary>An admin API key in the data directory (created before the first start, kept in <c>test-admin.key</c>).</summary>
    public string AdminKey { get; }

    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    /// <summary>Creates the admin key the way `agentcrm keys create` does, directly in the data directory.</summary>
    private static async Task<string> AdminKeyAsync(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "test-admin.key");
        if (File.Exists(file))
            return await File.ReadAllTextAsync(file);
        var options = Microsoft.Extensions.Options.Options.Create(new AgentCrm.Storage.StorageOptions { DataDirectory = dataDirectory });
        var database = new AgentCrm.Storage.SqliteDatabase(options, [AgentCrm.Server.AgentCrmServer.Schema]);
        await using (var writer = new AgentCrm.Storage.SqliteWriter(database, options, Microsoft.Extensions.Logging.Abstractions.NullLogger<AgentCrm.Storage.SqliteWriter>.Instance))
        {
            var key = await new AgentCrm.Access.ApiKeyStore(database, writer, new AgentCrm.Audit.AuditLog(database), TimeProvider.System).CreateAsync("test-admin", "admin", "test");
            await File.WriteAllTextAsync(file, key.Key);
        }
        return await File.ReadAllTextAsync(file);
    }

    public int Id => _process.Id;

    public static async Task<ServerProcess> StartAsync(string dataDirectory)
    {
        var adminKey = await AdminKeyAsync(dataDirectory);
        var dll = Path.Combine(AppContext.BaseDirectory, "agentcrm.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        // Port 0: the kernel picks the port as the server binds it (read back from /proc), so no other process can take it
        // first, as could a port the test picked free and released for the server to bind.
        foreach (var arg in new[] { dll, "serve", "--data", dataDirectory, "--urls", "http://127.0.0.1:0" })
            info.ArgumentList.Add(arg);
        info.Environment["Storage__Synchronous"] = "Normal";
        var process = Process.Start(info)!;
        // The child's log goes to a file beside its data, for a failing run to be diagnosed. The handlers run on pool threads
        // for as long as the child writes: they must not throw (that would end the test host), so a write that fails is dropped.
        var log = TextWriter.Synchronized(new StreamWriter(Path.Combine(dataDirectory, $"server-{process.Id}.log"), append: true) { AutoFlush = true });
        void Write(string? line)
        {
            try
            {
                if (line is not null)
                    log.WriteLine(line);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
            }
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (Server.ListeningPort.Of(process.Id) is { } port)
            {
                var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"), adminKey);
                using var http = new HttpClient { BaseAddress = server.Address };
                try
                {
                    if ((await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK)
                        return server;
                }
                catch (HttpRequestException)
                {
                }
            }
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var exited = process.HasExited;
                if (!exited)
                    process.Kill(entireProcessTree: true);
                process.Dispose();
                throw new InvalidOperationException($"agentcrm serve did not become ready (exited: {exited}); its log is server-*.log in {dataDirectory}.");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>SIGTERM, as `systemctl stop` sends: the server drains, then the process should end by itself.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-15", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
            throw new InvalidOperationException($"kill -15 {_process.Id} exited {kill.ExitCode}.");
    }

    /// <summary>The exit code once the process has ended, or null when it is still running after <paramref name="wait"/>.</summary>
    public async Task<int?> ExitCodeAsync(TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown hooks, no drain.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            Kill();
        _process.Dispose();
    }
}

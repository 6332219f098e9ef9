using System.CommandLine;
using System.Net;
using AgentCrm.Demo;
using AgentCrm.Server;

namespace AgentCrm.Cli;

internal static class ServeCommand
{
    private static readonly Option<bool> Demo = new("--demo") { Description = "Feed the bundled demo timeline and print where to look (--json: as one JSON line, {\"demo\": …})." };
    private static readonly Option<string?> Urls = new("--urls") { Description = $"Listen addresses (default {AgentCrmServer.DefaultUrls})." };

    static ServeCommand()
    {
        // A usage error (exit 2, one line naming --urls) before anything is opened.
        Urls.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && ListenAddressProblem(r.Tokens[^1].Value, "--urls") is { } problem)
                r.AddError(problem);
        });
    }

    public static Command Create()
    {
        var command = new Command("serve", "Run the server (the default verb).") { Demo, Urls };
        command.SetAction(RunAsync);
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var overrides = AgentCrmCli.StorageOverrides(parse);
        if (parse.GetValue(Urls) is { } given)
            overrides["urls"] = given;
        // --json: what serve writes on stdout is machine-readable, as with every verb: the log as JSON lines
        // (Runtime:LogFormat=Json) and --demo's summary as one more JSON line.
        var json = parse.GetValue(AgentCrmCli.Json);
        if (json)
            overrides["Runtime:LogFormat"] = "Json";
        // A host that fails to start (e.g. its port is taken) logs the exception with its stack trace before RunAsync
        // throws it; the CLI tells that exception in one line, so the host's copy is dropped until it has started.
        // Later failures (a faulting background service) are still logged in full.
        var started = new StartedFlag();
        // Serilog's provider has a rule of its own (AddSerilog adds one), which a rule for every provider would not override.
        var app = AgentCrmServer.Build([], overrides, services => services.AddLogging(logging => logging
            .AddFilter(HostCategory, level => level != LogLevel.Error || started.Value)
            .AddFilter<Serilog.Extensions.Logging.SerilogLoggerProvider>(HostCategory, level => level != LogLevel.Error || started.Value)));
        app.Lifetime.ApplicationStarted.Register(() => started.Value = true);
        // Bad settings fail here with one line naming the key, before the host would log a stack trace.
        app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        // --urls was checked by its validator; the setting (urls, ASPNETCORE_URLS) is checked here by the same rules. Left out:
        // the default; set, even empty or blank, it is checked (Kestrel took a blank one for an address and threw
        // "Invalid url: ' '" once the data directory was opened).
        var name = parse.GetValue(Urls) is not null ? "--urls" : "urls";
        var urls = app.Configuration["urls"];
        if (name == "urls" && urls is not null && ListenAddressProblem(urls, name) is { } problem)
            return AgentCrmCli.Fail("invalid configuration: " + problem);
        // Kestrel:Endpoints:{name}:Url by the same rules: Kestrel would tell a port out of range after the start, as an
        // ArgumentOutOfRangeException naming no setting ("Specified argument was out of the range of valid values").
        if (EndpointUrlProblem(app.Configuration) is { } endpoint)
            return AgentCrmCli.Fail("invalid configuration: " + endpoint);
        // What the listen would refuse, told now: the host's start opens the data directory (creating and initialising a new one)
        // before Kestrel listens, so a start refused then left a directory behind.
        if (ListenTargetProblem(urls ?? AgentCrmServer.DefaultUrls, name, app.Configuration) is { } target)
            return AgentCrmCli.Fail(target);
        if (CertificateFileProblem(app.Configuration, app.Environment.ContentRootPath) is { } certificate)
            return AgentCrmCli.Fail("invalid configuration: " + certificate);
        // A port another process listens on: told as the listen would tell it, before the data directory is opened.
        // Kestrel:Endpoints, where set, are what Kestrel listens on instead of the listen addresses.
        var endpoints = app.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>().ToList();
        if (PortInUseProblem(endpoints.Count > 0 ? string.Join(';', endpoints) : urls ?? AgentCrmServer.DefaultUrls) is { } inUse)
            return AgentCrmCli.Fail(inUse);
        // Every check above passed: the start line now, not before a refusal.
        AgentCrmServer.LogStart(app);
        if (parse.GetValue(Demo))
            DemoFeeder.Attach(app, json);
        // A mistyped --data would otherwise start an empty server as if it were the real one: said once it has started, on
        // stderr, as the other verbs say it (the database and its folder are made by the start).
        var database = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Storage.StorageOptions>>().Value.DatabasePath;
        var directory = Path.GetDirectoryName(database)!;
        var folderWasThere = Directory.Exists(directory);
        if (!File.Exists(database))
            app.Lifetime.ApplicationStarted.Register(() => Console.Error.WriteLine(CliHost.NewDirectoryLine(directory, folderWasThere)));
        try
        {
            return await RunUntilStoppedAsync(app, cancellationToken) is { } failed ? AgentCrmCli.Fail(failed) : 0;
        }
        catch (Exception ex) when (BindProblem(ex, urls ?? AgentCrmServer.DefaultUrls, name) is { } bind)
        {
            return AgentCrmCli.Fail(bind);
        }
    }

    /// <summary>
    /// Runs the server until it stops: null when it was asked to (SIGTERM, Ctrl+C), else the one line (exit 1) naming the
    /// background service whose failure stopped it (the host returns as after a clean stop; <see cref="BackgroundServiceFailures"/>).
    /// </summary>
    internal static async Task<string?> RunUntilStoppedAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var failures = BackgroundServiceFailures.Watch(app);
        try
        {
            await app.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (failures.Problem() is not null)
        {
            // A failure during the start stopped the host, which cancelled the start (Kestrel's bind): told as that failure.
        }
        return failures.Problem();
    }

    /// <summary>The category Microsoft.Extensions.Hosting logs "Hosting failed to start" under.</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    private sealed class StartedFlag
    {
        private volatile bool _value;

        public bool Value { get => _value; set => _value = value; }
    }

    /// <summary>
    /// What is wrong with ';'-separated listen addresses that can be told before listening (none given, not a URL, a port
    /// out of range, localhost:0, a path, a scheme Kestrel does not serve), in one line naming <paramref name="name"/>; null when none.
    /// </summary>
    internal static string? ListenAddressProblem(string urls, string name)
    {
        var addresses = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (addresses.Length == 0)
            return $"{name}: give at least one listen address, such as {AgentCrmServer.DefaultUrls}{(name == "urls" ? " (or leave the setting out for that default)" : "")}.";
        foreach (var url in addresses)
        {
            Microsoft.AspNetCore.Http.BindingAddress address;
            try
            {
                address = Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                return $"{name}: '{url}' is not a listen address such as {AgentCrmServer.DefaultUrls}.";
            }
            if (!address.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase) && !address.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
                return $"{name}: '{url}': only http:// and https:// listen addresses are supported.";
            if (!address.IsUnixPipe && address.Port is < 0 or > 65535)
                return $"{name}: '{url}': the port must be from 0 to 65535 (0: any free port).";
            if (address.Port == 0 && address.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                return $"{name}: '{url}': port 0 (any free port) needs an IP address: use 127.0.0.1:0 or [::1]:0.";
            if (!string.IsNullOrEmpty(address.PathBase) && address.PathBase != "/")
                return $"{name}: '{url}': paths are not supported in listen addresses; give scheme://host:port, such as {AgentCrmServer.DefaultUrls}.";
        }
        return null;
    }

    /// <summary>
    /// A start-up failure to listen that is about the addresses, told in one line naming the address: an IP address that is
    /// not one of this machine's, or https:// without a certificate. Null for any other exception (told as it is).
    /// </summary>
    private static string? BindProblem(Exception ex, string urls, string name)
    {
        var addresses = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ex is InvalidOperationException && ex.Message.StartsWith("Unable to configure HTTPS endpoint", StringComparison.Ordinal))
            // An https:// address in the listen addresses, or else an endpoint of Kestrel's own settings (Kestrel:Endpoints).
            return HttpsProblem(addresses.FirstOrDefault(a => a.StartsWith("https:", StringComparison.OrdinalIgnoreCase)), name);
        // EADDRNOTAVAIL (an address no interface has), EINVAL (e.g. a link-local IPv6 address without its interface).
        if ((ex as System.Net.Sockets.SocketException ?? ex.InnerException as System.Net.Sockets.SocketException)?.SocketErrorCode
            is System.Net.Sockets.SocketError.AddressNotAvailable or System.Net.Sockets.SocketError.InvalidArgument)
            return NotThisMachine(addresses, name, LocalAddresses());
        return null;
    }

    /// <summary>
    /// What <see cref="BindProblem"/> would tell once the host had started, told before it starts (nothing opened yet): an IP
    /// address that cannot be bound and is not this machine's, or an https:// address with no certificate anywhere Kestrel
    /// looks (no Kestrel:Certificates or Kestrel:Endpoints settings, no ASP.NET Core development certificate). Null otherwise,
    /// the listen then telling what it refuses as before.
    /// </summary>
    internal static string? ListenTargetProblem(string urls, string name, IConfiguration configuration)
    {
        var addresses = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unbindable = addresses.Where(url => TryHostAddress(url, out var ip) && !CanBind(ip)).ToList();
        if (unbindable.Count > 0 && NotThisMachine(unbindable, name, LocalAddresses()) is { } notHere)
            return notHere;
        var https = addresses.FirstOrDefault(a => a.StartsWith("https:", StringComparison.OrdinalIgnoreCase));
        return https is not null && !configuration.GetSection("Kestrel:Certificates").Exists() && !configuration.GetSection("Kestrel:Endpoints").Exists()
            && !HasDevelopmentCertificate() ? HttpsProblem(https, name) : null;
    }

    /// <summary>What <see cref="ListenAddressProblem"/> finds in a Kestrel:Endpoints:{name}:Url, in one line naming that key; null when none.</summary>
    internal static string? EndpointUrlProblem(IConfiguration configuration)
    {
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            var url = endpoint.GetSection("Url");
            if (url.Value is { } value && ListenAddressProblem(value, url.Path) is { } problem)
                return problem;
        }
        return null;
    }

    /// <summary>
    /// The first certificate or key file a Kestrel setting names that cannot be read — Kestrel:Certificates:{name}:Path and
    /// KeyPath, Kestrel:Endpoints:{name}:Certificate:Path and KeyPath, relative to the content root as Kestrel takes them —
    /// in one line naming the key; null when each can be read and loads (<see cref="CertificateLoadProblem"/>). Kestrel loads them
    /// as it starts listening, after the data directory was opened (a new one created and initialised): a missing file, a wrong
    /// password or a file that is no certificate was told then, without its setting.
    /// </summary>
    internal static string? CertificateFileProblem(IConfiguration configuration, string contentRoot)
    {
        var certificates = configuration.GetSection("Kestrel:Certificates").GetChildren()
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint.GetSection("Certificate")));
        foreach (var certificate in certificates)
        {
            if ((CertificateReadProblem(certificate, contentRoot) ?? CertificateLoadProblem(certificate, contentRoot)) is { } problem)
                return problem;
        }
        return null;
    }

    /// <summary>The certificate's Path or KeyPath file that is not there or cannot be read, in one line naming the key; null otherwise.</summary>
    private static string? CertificateReadProblem(IConfigurationSection certificate, string contentRoot)
    {
        foreach (var setting in new[] { certificate.GetSection("Path"), certificate.GetSection("KeyPath") })
        {
            if (string.IsNullOrWhiteSpace(setting.Value))
                continue;
            var path = Path.Combine(contentRoot, setting.Value);
            if (Directory.Exists(path))
                return $"{setting.Path}: '{setting.Value}' is a directory; it takes a certificate file.";
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                return $"{setting.Path}: file '{setting.Value}' not found.";
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                return $"{setting.Path}: file '{setting.Value}' cannot be read ({ex.Message})";
            }
        }
        return null;
    }

    /// <summary>
    /// Loads the certificate as Kestrel will (<see cref="System.Security.Cryptography.X509Certificates.X509CertificateLoader"/>):
    /// Path alone a PKCS#12 (PFX) file opened with Password, or a certificate alone (DER or PEM); Path with KeyPath a certificate
    /// and its PEM private key, encrypted under Password when one is set. What does not load is told in one line naming the key
    /// (a wrong password names Password); null when it loads, or when it is not a file certificate (a store's is left to Kestrel).
    /// </summary>
    private static string? CertificateLoadProblem(IConfigurationSection certificate, string contentRoot)
    {
        var pathSetting = certificate.GetSection("Path");
        if (string.IsNullOrWhiteSpace(pathSetting.Value))
            return null;
        var path = Path.Combine(contentRoot, pathSetting.Value);
        var keySetting = certificate.GetSection("KeyPath");
        var passwordSetting = certificate.GetSection("Password");
        var password = passwordSetting.Value;
        try
        {
            var type = System.Security.Cryptography.X509Certificates.X509Certificate2.GetCertContentType(path);
            if (string.IsNullOrWhiteSpace(keySetting.Value))
            {
                if (type == System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12)
                {
                    try
                    {
                        using var pfx = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(path, password,
                            System.Security.Cryptography.X509Certificates.X509KeyStorageFlags.EphemeralKeySet,
                            System.Security.Cryptography.X509Certificates.Pkcs12LoaderLimits.DangerousNoLimits);
                    }
                    catch (System.Security.Cryptography.CryptographicException ex)
                    {
                        return string.IsNullOrEmpty(password)
                            ? $"{pathSetting.Path}: '{pathSetting.Value}' does not open without a password ({Reason(ex)}); set {passwordSetting.Path}."
                            : $"{passwordSetting.Path}: does not open '{pathSetting.Value}' ({Reason(ex)}).";
                    }
                    return null;
                }
                if (type != System.Security.Cryptography.X509Certificates.X509ContentType.Cert)
                    return $"{pathSetting.Path}: '{pathSetting.Value}' is not a certificate file (a PKCS#12/PFX file, or a PEM or DER certificate with {keySetting.Path}).";
                using var alone = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(path);
                return null;
            }
            if (type != System.Security.Cryptography.X509Certificates.X509ContentType.Cert)
                return $"{pathSetting.Path}: '{pathSetting.Value}' is not a PEM or DER certificate, which {keySetting.Path} needs beside it.";
            using var publicOnly = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(path);
            var keyText = File.ReadAllText(Path.Combine(contentRoot, keySetting.Value));
            using System.Security.Cryptography.AsymmetricAlgorithm? key = publicOnly.PublicKey.Oid.Value switch
            {
                RsaOid => System.Security.Cryptography.RSA.Create(),
                ECDsaOid => System.Security.Cryptography.ECDsa.Create(),
                DsaOid => System.Security.Cryptography.DSA.Create(),
                // Another key type: left to Kestrel, which names it.
                _ => null,
            };
            if (key is null)
                return null;
            try
            {
                if (string.IsNullOrEmpty(password))
                    key.ImportFromPem(keyText);
                else
                    key.ImportFromEncryptedPem(keyText, password);
                using var withKey = key switch
                {
                    System.Security.Cryptography.RSA rsa => System.Security.Cryptography.X509Certificates.RSACertificateExtensions.CopyWithPrivateKey(publicOnly, rsa),
                    System.Security.Cryptography.ECDsa ecdsa => System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.CopyWithPrivateKey(publicOnly, ecdsa),
                    _ => System.Security.Cryptography.X509Certificates.DSACertificateExtensions.CopyWithPrivateKey(publicOnly, (System.Security.Cryptography.DSA)key),
                };
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                return string.IsNullOrEmpty(password)
                    ? $"{keySetting.Path}: '{keySetting.Value}' is not the private key of '{pathSetting.Value}' in PEM, or it is encrypted ({Reason(ex)}); set {passwordSetting.Path} for an encrypted key."
                    : $"{keySetting.Path}: '{keySetting.Value}' does not load with {passwordSetting.Path} as the private key of '{pathSetting.Value}' ({Reason(ex)}).";
            }
            return null;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            return $"{pathSetting.Path}: '{pathSetting.Value}' cannot be loaded as a certificate ({Reason(ex)}).";
        }
    }

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string ECDsaOid = "1.2.840.10045.2.1";
    private const string DsaOid = "1.2.840.10040.4.1";

    private static string Reason(Exception ex) => ex.Message.Trim().TrimEnd('.');

    private static string HttpsProblem(string? https, string name) =>
        (https is null ? "" : $"{name}: '{https}': ") + "HTTPS needs a certificate: set Kestrel:Certificates:Default:Path "
        + "(and Kestrel:Certificates:Default:Password), or listen on http:// behind a TLS-terminating proxy.";

    private static string? NotThisMachine(IEnumerable<string> addresses, string name, HashSet<string> local)
    {
        foreach (var url in addresses)
            if (TryHostAddress(url, out var ip) && !IPAddress.IsLoopback(ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)
                && !local.Contains(Convert.ToHexString(ip.GetAddressBytes())))
                return $"{name}: '{url}': {ip} is not an address of this machine; listen on one of its addresses, 127.0.0.1, or 0.0.0.0 (every interface).";
        return null;
    }

    /// <summary>
    /// The first listen address whose port another socket already listens on, in the words Kestrel's listen uses ("Failed to
    /// bind to address …: address already in use."); null when none is, or when that cannot be told (port 0, a Unix socket). A probe binds with SO_REUSEADDR, as Kestrel does, so a port a closed connection still holds
    /// (TIME_WAIT) is not taken for one in use; the listen still tells a port taken between the probe and the start.
    /// </summary>
    internal static string? PortInUseProblem(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Microsoft.AspNetCore.Http.BindingAddress address;
            try
            {
                address = Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                continue;
            }
            if (address.IsUnixPipe || address.Port <= 0)
                continue;
            IPAddress[] hosts = address.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? [IPAddress.Loopback, IPAddress.IPv6Loopback]
                : IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip) ? [ip]
                // Any other host (*, +, a name) listens on every interface, as Kestrel takes it.
                : [IPAddress.Any];
            if (hosts.Any(host => PortInUse(host, address.Port)))
                return $"Failed to bind to address {url.TrimEnd('/')}: address already in use.";
        }
        return null;
    }

    private static bool PortInUse(IPAddress ip, int port)
    {
        try
        {
            using var socket = new System.Net.Sockets.Socket(ip.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            // (On Windows SO_REUSEADDR would let the probe share a port in use: there the default bind is the probe.)
            if (!OperatingSystem.IsWindows())
                socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(ip, port));
            return false;
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
        {
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            // Another refusal (no IPv6 on this machine, permissions): left to the listen to tell.
            return false;
        }
    }

    /// <summary>Whether a socket can be bound to <paramref name="ip"/> (on any free port): what Kestrel's listen will ask of it.</summary>
    private static bool CanBind(IPAddress ip)
    {
        try
        {
            using var socket = new System.Net.Sockets.Socket(ip.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(ip, 0));
            return true;
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode is System.Net.Sockets.SocketError.AddressNotAvailable or System.Net.Sockets.SocketError.InvalidArgument)
        {
            return false;
        }
        catch (System.Net.Sockets.SocketException)
        {
            // Another refusal (no IPv6 on this machine, permissions): left to the listen to tell.
            return true;
        }
    }

    /// <summary>
    /// Whether the current user's store holds a valid ASP.NET Core development certificate (`dotnet dev-certs https`), which
    /// Kestrel uses for https:// when no certificate is configured. A store that cannot be opened holds none Kestrel could use either.
    /// </summary>
    private static bool HasDevelopmentCertificate()
    {
        try
        {
            using var store = new System.Security.Cryptography.X509Certificates.X509Store(System.Security.Cryptography.X509Certificates.StoreName.My,
                System.Security.Cryptography.X509Certificates.StoreLocation.CurrentUser);
            store.Open(System.Security.Cryptography.X509Certificates.OpenFlags.ReadOnly | System.Security.Cryptography.X509Certificates.OpenFlags.OpenExistingOnly);
            var now = DateTime.Now;
            return store.Certificates.Any(c => c.Extensions[AspNetHttpsOid] is not null && c.NotBefore <= now && now <= c.NotAfter);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // No such store (OpenExistingOnly), or one that cannot be read: no certificate from it.
            return false;
        }
    }

    /// <summary>The extension that marks the ASP.NET Core HTTPS development certificate.</summary>
    private const string AspNetHttpsOid = "1.3.6.1.4.1.311.84.1.1";

    private static bool TryHostAddress(string url, out IPAddress ip)
    {
        ip = IPAddress.None;
        try
        {
            var host = Microsoft.AspNetCore.Http.BindingAddress.Parse(url).Host;
            return IPAddress.TryParse(host.Trim('[', ']'), out ip!);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>This machine's interface addresses (their bytes, in hex: an IPv6 scope does not count); empty when unknown.</summary>
    private static HashSet<string> LocalAddresses()
    {
        var addresses = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                    addresses.Add(Convert.ToHexString(unicast.Address.GetAddressBytes()));
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
            // Unknown: every IP address in the list is then named as not this machine's.
        }
        return addresses;
    }
}

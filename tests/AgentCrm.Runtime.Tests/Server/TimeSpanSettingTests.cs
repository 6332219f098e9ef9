using System.Reflection;
using AgentCrm.Server;
using Microsoft.Extensions.Configuration;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// Every time-span setting takes hh:mm:ss or d.hh:mm:ss, or 0; a bare number is refused naming the key, not read as days
/// (Intake:MaxFutureSkew=5 took events 4 days ahead).
/// </summary>
public sealed class TimeSpanSettingTests
{
    /// <summary>Every setting of a time span in the sections the product owns, found by walking the options types.</summary>
    private static List<string> TimeSpanKeys()
    {
        var keys = new List<string>();
        void Walk(string path, Type type, int depth)
        {
            foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                var t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                if (t == typeof(TimeSpan))
                    keys.Add($"{path}:{p.Name}");
                else if (depth < 2 && t.IsClass && t != typeof(string) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(t) && t.Namespace?.StartsWith("AgentCrm", StringComparison.Ordinal) == true)
                    Walk($"{path}:{p.Name}", t, depth + 1);
            }
        }
        foreach (var (path, type) in SettingsChecker.Sections)
            Walk(path, type, 0);
        return keys;
    }

    private const string Refusal = "it takes a time span hh:mm:ss or d.hh:mm:ss (00:00:30 is 30 seconds, 5.00:00:00 is 5 days); a bare number other than 0 is not read as days.";

    private static IReadOnlyList<string> Check(string key, string value) =>
        SettingsChecker.Check(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build());

    [Fact]
    public void EveryTimeSpanSetting_RefusesABareNumber_AndTakesZeroAndTheColonForms()
    {
        var keys = TimeSpanKeys();
        Assert.Contains("Intake:MaxFutureSkew", keys);
        Assert.Contains("Webhooks:DisableAfter", keys);
        Assert.Contains("Auth:Jwt:MaxLifetime", keys);
        foreach (var key in keys)
        {
            Assert.Equal([$"{key}: '5' is not valid; {Refusal}"], Check(key, "5"));
            Assert.Single(Check(key, " 30 "));
            Assert.Single(Check(key, "1.5"));
            // 0 is 00:00:00 whatever the unit (Webhooks:DisableAfter documents it: never); whether a setting takes zero is its validator's rule.
            Assert.Empty(Check(key, "0"));
            Assert.Empty(Check(key, "00:00:05"));
            Assert.Empty(Check(key, "00:01"));
        }
        Assert.Empty(Check("Intake:MaxFutureSkew", "1.00:00:00"));
    }

    [Fact]
    public async Task Serve_WithABareNumberForMaxFutureSkew_StopsInOneLineNamingTheKey()
    {
        var environment = new Dictionary<string, string> { ["Intake__MaxFutureSkew"] = "5", ["Storage__DataDirectory"] = TempDirectory.Create() };

        var line = DataDirectoryStartTests.OneLineFailure(await Cli.CliRunner.RunAsync(["serve", "--urls", $"http://127.0.0.1:{ServeProcess.FreePort()}"], environment));

        Assert.Equal($"agentcrm: invalid configuration: Intake:MaxFutureSkew: '5' is not valid; {Refusal}", line);
    }
}

using System.Net;
using System.Text;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Sandbox.Cases;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>
/// A mapping that gives a derived number field type: text was taken before session 26's kind check. A case set stored with
/// one still evaluates (read as it was stored); a new one is refused at its line, naming the field.
/// </summary>
public sealed class StoredMappingKindTests
{
    private const string Mapping = """
        name: renewals
        id: id
        label: { column: churned, positive: "1" }
        fields:
          - { column: tenure, field: tenure.months, type: number }
          - { column: autoRenew, field: contract.autoRenew, type: text }
        """;

    private static string Csv()
    {
        var csv = new StringBuilder("id,tenure,autoRenew,churned\n");
        for (var i = 0; i < 40; i++)
            csv.Append(CultureInvariant($"c{i},{(i % 4 == 0 ? 2 : 30 + i)},{(i % 2 == 0 ? "yes" : "no")},{(i % 4 == 0 ? 1 : 0)}\n"));
        return csv.ToString();
    }

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);

    [Fact]
    public async Task Evaluate_OnASetStoredWithATextTypeForANumberField_Succeeds_WhileAddingSuchAMappingIs400AtItsLine()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var csv = Encoding.UTF8.GetBytes(Csv());
        var mapping = Encoding.UTF8.GetBytes(Mapping);
        // The row as an earlier build stored it: its check let the mapping through.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(app.DataDirectory, "agentcrm.db")};Pooling=False"))
        {
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO case_sets (name, kind, hash, cases, positives, data_name, data, aux_name, aux, created_at)
                VALUES ('renewals', 'tabular', $h, 40, 10, 'cases.csv', $d, 'mapping.yaml', $m, '2026-12-04T10:00:00.0000000+00:00')
                """;
            insert.Parameters.AddWithValue("$h", CaseSetHash.Of(csv, mapping));
            insert.Parameters.AddWithValue("$d", csv);
            insert.Parameters.AddWithValue("$m", mapping);
            Assert.Equal(1, insert.ExecuteNonQuery());
        }

        var report = await app.EvaluateAsync("renewal-risk", "1.0.1", "renewals");

        Assert.Equal(40, report.GetProperty("cases").GetInt32());
        Assert.Equal(CaseSetHash.Of(csv, mapping), report.GetProperty("caseSetHash").GetString());

        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(csv), "file", "cases.csv" },
            { new ByteArrayContent(mapping), "mapping", "mapping.yaml" },
        };
        using var added = await app.Client.PostAsync("/v1/cases/renewals-again", form);
        var error = (await added.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("mapping")[0].GetString();
        Assert.Equal("mapping.yaml line 6: 'contract.autoRenew' is a number wherever it comes from; give type: number (or leave type out).", error);
        Assert.DoesNotContain((await app.GetJsonAsync("/v1/cases")).GetProperty("items").EnumerateArray(), s => s.GetProperty("name").GetString() == "renewals-again");
    }

    [Fact]
    public async Task CasesAdd_OfAMappingWithATextTypeForANumberField_IsOneLineNamingLineAndField_Exit1()
    {
        var dir = TempDirectory.Create();
        var csv = Path.Combine(dir, "cases.csv");
        var mapping = Path.Combine(dir, "mapping.yaml");
        await File.WriteAllTextAsync(csv, Csv());
        await File.WriteAllTextAsync(mapping, Mapping);

        var result = await CliRunner.RunAsync(["cases", "add", "renewals", csv, "--mapping", mapping, "--data", Path.Combine(dir, "data")]);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("mapping.yaml line 6: 'contract.autoRenew' is a number wherever it comes from; give type: number", line, StringComparison.Ordinal);
    }
}

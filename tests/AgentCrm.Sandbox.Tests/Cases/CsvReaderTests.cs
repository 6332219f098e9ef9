using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Tests.Cases;

public sealed class CsvReaderTests
{
    [Fact]
    public void Read_QuotedFieldsWithCommasQuotesAndNewlines_ParsesThemAndKeepsLineNumbers()
    {
        var table = CsvReader.Read("id,note,n\r\na,\"x, \"\"y\"\"\",1\r\nb,\"two\nlines\",2\nc,,3\n", "t.csv");

        Assert.Equal(["id", "note", "n"], table.Header);
        Assert.Equal(3, table.Rows.Count);
        Assert.Equal(["a", "x, \"y\"", "1"], table.Rows[0].Values);
        Assert.Equal(2, table.Rows[0].Line);
        Assert.Equal("two\nlines", table.Rows[1].Values[1]);
        Assert.Equal(3, table.Rows[1].Line);
        Assert.Equal(["c", "", "3"], table.Rows[2].Values);
        Assert.Equal(5, table.Rows[2].Line);
    }

    [Fact]
    public void Read_LastRowWithoutLineBreakAndTrailingEmptyField_IsKept()
    {
        var table = CsvReader.Read("a,b\n1,", "t.csv");
        Assert.Equal(["1", ""], Assert.Single(table.Rows).Values);
    }

    [Theory]
    [InlineData("a,b\n1,2,3\n", 2, "the row has 3 fields, the header has 2.")]
    [InlineData("a,b\n1,2\n\n3,4\n", 3, "the row has 1 field, the header has 2.")]
    [InlineData("a,b\n1,x\"y\n", 2, "a quote inside an unquoted field (quote the whole field and double the quote).")]
    [InlineData("a,b\n1,\"x\"y\n", 2, "unexpected 'y' after a closing quote (a quote inside a field must be doubled).")]
    [InlineData("a,b\n1,2\n3,\"open\n\n", 3, "a quoted field is never closed.")]
    [InlineData("a,a\n1,2\n", 1, "the header names this column twice.")]
    [InlineData("a,b\r1,2\n", 1, "a carriage return that is not part of a CRLF line break.")]
    public void Read_MalformedCsv_NamesTheLine(string csv, int line, string problem)
    {
        var ex = Assert.Throws<CaseSetException>(() => CsvReader.Read(csv, "t.csv"));
        Assert.Equal(line, ex.Line);
        Assert.Equal(problem, ex.Problem);
        Assert.StartsWith($"t.csv line {line}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n")]
    [InlineData("a,b\n")]
    public void Read_EmptyFileOrHeaderOnly_IsRejected(string csv)
    {
        var ex = Assert.Throws<CaseSetException>(() => CsvReader.Read(csv, "t.csv"));
        Assert.Equal("t.csv", ex.File);
    }
}

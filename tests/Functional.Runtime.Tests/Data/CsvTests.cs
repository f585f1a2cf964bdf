// Tests of the CSV reader and the other sources: round trips, and an error naming file, line and column for each bad input.
using Functional.Data;

namespace Functional.Tests.Data;

public sealed class CsvTests : IDisposable
{
    private readonly ScratchDirectory dir = new();
    private static readonly CsvLayout Ten = new(ClassCount: 10);

    public void Dispose() => dir.Dispose();

    private string File(string name, string text) => dir.Write(name, System.Text.Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Rows_with_and_without_a_header_read_the_same()
    {
        var plain = IdxScratch.Value(Csv.Read(File("plain.csv", "3,0.5,1e-3,-2\n9,0,1,2.25\n"), Ten));
        var headed = IdxScratch.Value(Csv.Read(File("headed.csv", "label,a,b,c\r\n3,0.5,1e-3,-2\r\n\r\n9,0,1,2.25\r\n"), Ten));

        foreach (var data in new[] { plain, headed })
        {
            Assert.Equal((2, 3, 10), (data.Count, data.FeatureCount, data.ClassCount));
            Assert.Equal([3, 9], data.Labels.ToArray());
            Assert.Equal([0.5f, 1e-3f, -2f, 0f, 1f, 2.25f], data.Features.ToArray());
        }
    }

    [Fact]
    public void The_label_can_be_the_last_column_and_fields_can_be_quoted()
    {
        var data = IdxScratch.Value(Csv.Read(File("last.csv", "x;y;class\n\"1.5\";2;1\n"), new CsvLayout(2, LabelColumn: -1, Delimiter: ";")));
        Assert.Equal([1], data.Labels.ToArray());
        Assert.Equal([1.5f, 2f], data.Features.ToArray());
    }

    [Theory]
    [InlineData("label,a,b\n1,2,3\n4,5\n", ", line 3: 2 fields, but line 1 (the header) has 3")]
    [InlineData("1,2,3\n4,5,6,7\n", ", line 2: 4 fields, but line 1 (the first row) has 3")]
    [InlineData("label,a,b\n1,2,3\n10,5,6\n", ", line 3, column 1 (\"label\"): label 10 is outside 0..9")]
    [InlineData("1,2,3\n-1,5,6\n", ", line 2, column 1: label -1 is outside 0..9")]
    [InlineData("1,2,3\n2.5,5,6\n", ", line 2, column 1: label \"2.5\" is not a whole number")]
    [InlineData("label,a,b\n1,2,NaN\n", ", line 2, column 3 (\"b\"): \"NaN\" is NaN; features must be finite")]
    [InlineData("1,2,3\n1,Infinity,3\n", ", line 2, column 2: \"Infinity\" is infinite (or beyond float range); features must be finite")]
    [InlineData("1,2,3\n1,1e39,3\n", ", line 2, column 2: \"1e39\" is infinite (or beyond float range)")]
    [InlineData("1,2,3\n1,two,3\n", ", line 2, column 2: \"two\" is not a number")]
    [InlineData("label,a,b\n", ": no data rows after the header; the set is empty")]
    [InlineData("", ": no data rows; the set is empty")]
    [InlineData("1\n2\n", ", line 1: a row needs a label and at least one feature")]
    public void Bad_input_is_named_by_file_line_and_column(string text, string expected)
    {
        string path = File("bad.csv", text);
        Assert.StartsWith(path + expected, IdxScratch.Message(Csv.Read(path, Ten)));
    }

    [Fact]
    public void A_stray_quote_is_an_error_not_a_repair()
    {
        string path = File("quote.csv", "1,2,3\n1,\"2,3\n1,2,3\n");
        Assert.StartsWith(path, IdxScratch.Message(Csv.Read(path, Ten)));
    }

    [Theory]
    [InlineData("1,2,3\n1,\"2,3\n", "line 2, column 2: a quoted field starting on line 2 is never closed")]
    [InlineData("1,2,3\n\n\n7,8,\"9", "line 4, column 3: a quoted field starting on line 4 is never closed")]
    [InlineData("1,2,3\n1,2\"x,3\n", "line 2, column 2: the field \"2\\\"x\" has a quote inside it")]
    [InlineData("1,2,3\r\n1,\"a\nb\",\"2\"x\r\n", "line 3, column 3: text follows the closing quote of the field \"\\\"2\\\"x\"")]
    public void Bad_quoting_is_reported_where_the_field_starts_in_our_words(string text, string expected)
    {
        // A thousand good rows after the bad one: CsvHelper's report named the last of them and told users to set BadDataFound.
        string path = File("quoting.csv", text + string.Concat(Enumerable.Repeat("1,2,3\n", 1000)));
        var message = IdxScratch.Message(Csv.Read(path, Ten));

        Assert.True(message.StartsWith($"{path}, {expected}"), message[..Math.Min(400, message.Length)]);
        Assert.DoesNotContain("BadDataFound", message);
    }

    [Fact]
    public void Errors_in_a_row_spanning_lines_name_the_line_it_starts_on()
    {
        string path = File("multiline.csv", "1,2,3\n\n1,\"a\nb\",3\n");
        Assert.StartsWith($"{path}, line 3, column 2: \"a\\nb\" is not a number", IdxScratch.Message(Csv.Read(path, Ten)));
    }

    [Theory]
    [InlineData("", "the delimiter is empty")]
    [InlineData(null, "the delimiter is null")]
    [InlineData("\n", "the delimiter \"\\n\" contains a line break, which ends rows")]
    [InlineData(";\r\n", "the delimiter \";\\r\\n\" contains a line break, which ends rows")]
    [InlineData("\"", "the delimiter \"\\\"\" contains a quote")]
    public void An_unusable_delimiter_is_named(string? delimiter, string expected)
    {
        string path = File("any.csv", "1,2\n");
        Assert.StartsWith($"{path}: {expected}", IdxScratch.Message(Csv.Read(path, new CsvLayout(2, Delimiter: delimiter!))));
        Assert.StartsWith($"text: {expected}", IdxScratch.Message(Csv.Read(new StringReader("1,2\n"), "text", new CsvLayout(2, Delimiter: delimiter!))));
    }

    [Fact]
    public void A_null_layout_is_named_and_a_space_can_delimit()
    {
        string path = File("any.csv", "1 2 3\n0 4 5\n");
        Assert.Equal($"{path}: no CSV layout given (the layout is null)", IdxScratch.Message(Csv.Read(path, null!)));
        Assert.Equal([2f, 3f, 4f, 5f], IdxScratch.Value(Csv.Read(path, new CsvLayout(2, Delimiter: " "))).Features.ToArray());
    }

    [Theory]
    [InlineData("label,a\n1,{0}x\n", "line 2, column 2 (\"a\"): \"{1}…\" (5,000,001 characters) is not a number")]
    [InlineData("label,a\n1,{0}\n", "line 2, column 2 (\"a\"): \"{1}…\" (5,000,000 characters) is infinite")]
    [InlineData("label,a\n{0},1\n", "line 2, column 1 (\"label\"): label \"{1}…\" (5,000,000 characters) is not a whole number")]
    [InlineData("label,a{0}\n1,x\n", "line 2, column 2 (\"a{2}…\" (5,000,001 characters)): \"x\" is not a number")]
    [InlineData("1,2\n1,2\"{0}\n", "line 2, column 2: the field \"2\\\"{3}…\" (5,000,002 characters) has a quote inside it")]
    public void A_huge_field_is_shown_cut_to_its_start_and_length(string template, string expected)
    {
        string digits = new('7', 5_000_000);
        string path = File("huge.csv", string.Format(template, digits));
        var message = IdxScratch.Message(Csv.Read(path, new CsvLayout(2)));

        Assert.StartsWith($"{path}, {string.Format(expected, digits[..40], digits[..40], digits[..39], digits[..38])}", message);
        Assert.True(message.Length < 600, $"a {message.Length:N0}-character message");
    }

    [Theory]
    [InlineData(null, "no file name given (the path is null; expected a CSV file)")]
    [InlineData("", "no file name given (the path is empty; expected a CSV file)")]
    public void A_missing_path_is_called_missing(string? path, string expected)
    {
        Assert.Equal(expected, IdxScratch.Message(Csv.Read(path!, Ten)));
        Assert.Equal(expected, IdxScratch.Message(Sources.CsvPair(path!, path!, Ten)));
    }

    [Fact]
    public void Train_and_test_of_different_widths_are_refused_by_name()
    {
        string train = File("train.csv", "1,2,3\n2,3,4\n"), test = File("test.csv", "1,2\n");
        Assert.Equal($"{test} has 1 features per row, but {train} has 2; a model trained on one cannot read the other",
                     IdxScratch.Message(Sources.CsvPair(train, test, Ten)));
        var pair = IdxScratch.Value(Sources.CsvPair(train, File("test2.csv", "0,1,1\n"), Ten));
        Assert.Equal(1, pair.Test.Count);
    }

    [Fact]
    public void In_memory_rows_are_validated_like_files()
    {
        Assert.Equal("mem: row 1 has 1 features, but row 0 has 2; every row must have the same number",
                     IdxScratch.Message(Sources.FromRows("mem", [[1, 2], [3]], [0, 1], 2)));
        Assert.Equal("mem: no rows; the set is empty", IdxScratch.Message(Sources.FromRows("mem", [], [], 2)));
        Assert.Equal("mem: 2 rows but 1 labels; they must pair up one to one", IdxScratch.Message(Sources.FromRows("mem", [[1], [2]], [0], 2)));
        Assert.Contains("mem: row 1 has label 5, outside 0..1", IdxScratch.Message(Sources.FromRows("mem", [[1], [2]], [0, 5], 2)));
        Assert.Contains("mem: row 1, feature 0 is NaN", IdxScratch.Message(Sources.FromMatrix("mem", new float[,] { { 1 }, { float.NaN } }, [0, 1], 2)));
        Assert.Equal([1f, 2f, 3f, 4f], IdxScratch.Value(Sources.FromMatrix("mem", new float[,] { { 1, 2 }, { 3, 4 } }, [0, 1], 2)).Features.ToArray());
    }

    [Fact]
    public void Idx_pairs_are_read_and_checked()
    {
        string images = dir.Write("i-idx3-ubyte", IdxScratch.Images(3, 2, 2)), labels = dir.Write("l-idx1-ubyte", IdxScratch.Labels(0, 1, 2));
        Assert.Equal(3, IdxScratch.Value(Sources.FromIdx(images, labels, 3)).Count);
        Assert.Contains($"(in {labels})", IdxScratch.Message(Sources.FromIdx(images, labels, 2)));
        string two = dir.Write("two-idx1-ubyte", IdxScratch.Labels(0, 1));
        Assert.Equal($"{images} holds 3 images but {two} holds 2 labels; they must pair up one to one", IdxScratch.Message(Sources.FromIdx(images, two, 3)));
    }
}

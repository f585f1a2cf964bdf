// Reads labelled samples from CSV files (CsvHelper), with an error naming the file, line and column for every bad value.
using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using LanguageExt;
using LanguageExt.Common;

namespace Functional.Data;

/// <summary>
/// How a CSV file lays out samples. One row per sample: the label (a whole number 0 … ClassCount−1) in column
/// <see cref="LabelColumn"/> (0 = first, −1 = last), every other column a feature (a number in invariant culture:
/// "0.5", "1e-3"). Fields are separated by <see cref="Delimiter"/> and may be quoted as RFC 4180 says. The first row
/// is a header when none of its fields is a number ("label,pixel1,…" as in Kaggle's Fashion-MNIST CSVs); its names
/// then appear in errors.
/// </summary>
public sealed record CsvLayout(int ClassCount, int LabelColumn = 0, string Delimiter = ",");

/// <summary>Reads <see cref="CsvLayout"/> files into data sets, validating every value.</summary>
public static class Csv
{
    /// <summary>
    /// Reads <paramref name="path"/>. Fails with the file, line and column for a ragged row, a label that is not a
    /// whole number or is outside 0 … ClassCount−1, a feature that is not a number or is NaN or infinite, and for a
    /// file without data rows.
    /// </summary>
    public static Fin<Dataset> Read(string path, CsvLayout layout)
    {
        if (DataPaths.FileProblem(path, "a CSV file") is { } problem) return Error.New(problem);
        try
        {
            using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
            return Read(reader, path, layout);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Error.New($"{path}: cannot be read: {e.Message}");
        }
    }

    /// <summary>Reads CSV text from <paramref name="reader"/>; <paramref name="name"/> is what errors call it.</summary>
    public static Fin<Dataset> Read(TextReader reader, string name, CsvLayout layout)
    {
        if (reader is null) return Error.New($"{name}: no text to read (the reader is null)");
        if (LayoutProblem(layout) is { } problem) return Error.New($"{name}: {problem}");
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = layout.Delimiter,
            HasHeaderRecord = false,
            // Blank lines carry no sample; CsvHelper would otherwise report them as rows of one empty field.
            IgnoreBlankLines = true,
            // A field with a stray quote must be reported, not repaired; CsvHelper's own report gives the line where
            // it stopped (the end of the file, for a quote never closed) and advice our users cannot take.
            BadDataFound = args => throw new BadQuoting(args.RawRecord, args.Context.Parser!.RawRow),
            Mode = CsvMode.RFC4180,
        };
        // CsvHelper refuses a delimiter that is one of its white-space characters; we trim nothing through it.
        if (layout.Delimiter.Contains(' ')) config.WhiteSpaceChars = [];
        try
        {
            using var parser = new CsvParser(reader, config);
            return ReadRows(parser, name, layout);
        }
        catch (BadQuoting bad)
        {
            return Error.New($"{name}, {bad.Describe(layout.Delimiter)}");
        }
        catch (ConfigurationException e)
        {
            return Error.New($"{name}: the delimiter {Shown(layout.Delimiter)} cannot be used: {FirstLine(e.Message)}");
        }
        catch (CsvHelperException e)
        {
            return Error.New($"{name}: malformed CSV near line {e.Context?.Parser?.RawRow}: {Shown(FirstLine(e.Message))}");
        }
    }

    /// <summary>What makes <paramref name="layout"/> unusable, or null.</summary>
    private static string? LayoutProblem(CsvLayout? layout)
    {
        if (layout is null) return "no CSV layout given (the layout is null)";
        if (layout.ClassCount < 2) return $"a classifier needs at least 2 classes, got {layout.ClassCount}";
        string? d = layout.Delimiter;
        if (d is null) return "the delimiter is null; fields need a separator such as \",\"";
        if (d.Length == 0) return "the delimiter is empty; fields need a separator such as \",\"";
        if (d.Contains('"')) return $"the delimiter {Shown(d)} contains a quote, which quotes fields (RFC 4180)";
        if (d.Contains('\r') || d.Contains('\n')) return $"the delimiter {Shown(d)} contains a line break, which ends rows";
        return null;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].TrimEnd('\r');

    private static Fin<Dataset> ReadRows(CsvParser parser, string name, CsvLayout layout)
    {
        var features = new List<float>();
        var labels = new List<int>();
        string[]? header = null;
        int width = -1, widthLine = 0;
        while (parser.Read())
        {
            var fields = parser.Record!;
            // Only an error needs the line, and finding where a record starts builds its raw text: not done for every row.
            long Line() => RecordStart(parser.RawRow, parser.RawRecord);
            if (width < 0 && header is null && labels.Count == 0 && fields.All(f => !IsNumber(f)))
            {
                header = fields;
                width = fields.Length;
                widthLine = (int)Line();
                continue;
            }
            if (width < 0)
            {
                width = fields.Length;
                widthLine = (int)Line();
            }
            if (fields.Length != width)
                return Error.New($"{name}, line {Line()}: {fields.Length} fields, but line {widthLine} ({(header is null ? "the first row" : "the header")}) has {width}; every row must have the same number");
            if (width < 2) return Error.New($"{name}, line {Line()}: a row needs a label and at least one feature, but has {width} field");

            int labelAt = layout.LabelColumn >= 0 ? layout.LabelColumn : width + layout.LabelColumn;
            if (labelAt < 0 || labelAt >= width)
                return Error.New($"{name}: label column {layout.LabelColumn} does not exist in rows of {width} fields");
            string Column(int c) => header is null ? $"column {c + 1}" : $"column {c + 1} ({Shown(header[c])})";

            string labelText = fields[labelAt].Trim();
            if (!int.TryParse(labelText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int label))
                return Error.New($"{name}, line {Line()}, {Column(labelAt)}: label {Shown(labelText)} is not a whole number");
            if ((uint)label >= (uint)layout.ClassCount)
                return Error.New($"{name}, line {Line()}, {Column(labelAt)}: label {label} is outside 0..{layout.ClassCount - 1}");
            labels.Add(label);

            for (int c = 0; c < width; c++)
            {
                if (c == labelAt) continue;
                string text = fields[c].Trim();
                if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                    return Error.New($"{name}, line {Line()}, {Column(c)}: {Shown(text)} is not a number");
                if (!float.IsFinite(value))
                    return Error.New($"{name}, line {Line()}, {Column(c)}: {Shown(text)} is {(float.IsNaN(value) ? "NaN" : "infinite (or beyond float range)")}; features must be finite");
                features.Add(value);
            }
        }
        if (labels.Count == 0)
            return Error.New($"{name}: no data rows{(header is null ? "" : " after the header")}; the set is empty");
        return Dataset.Create(name, [.. features], [.. labels], width - 1, layout.ClassCount);
    }

    private static bool IsNumber(string field) =>
        double.TryParse(field.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    // A field echoed in a message is cut to this many characters: a 5,000,000-digit cell must not make a 5 MB message.
    private const int ShownLength = 40;

    /// <summary>
    /// <paramref name="text"/> in quotes as an error shows it: control characters escaped (a line break would split
    /// the message), and past <see cref="ShownLength"/> characters cut, with the full length said.
    /// </summary>
    internal static string Shown(string text)
    {
        var shown = new System.Text.StringBuilder("\"");
        foreach (char c in text.Length > ShownLength ? text.AsSpan(0, ShownLength) : text)
            shown.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '"' => "\\\"",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        return text.Length > ShownLength ? $"{shown}…\" ({text.Length:N0} characters)" : $"{shown}\"";
    }

    /// <summary>
    /// The line a record starts on, from the line its end was read on and its raw text: a record with quoted line
    /// breaks spans several lines, and the first is where a reader looks.
    /// </summary>
    private static long RecordStart(long endLine, string raw)
    {
        return endLine - LineBreaks(raw, raw.Length) + (EndsWithBreak(raw) ? 1 : 0);
    }

    private static bool EndsWithBreak(string raw) => raw.Length > 0 && raw[^1] is '\n' or '\r';

    /// <summary>Line breaks (\r\n, \n or \r) in the first <paramref name="length"/> characters.</summary>
    private static int LineBreaks(string text, int length)
    {
        int breaks = 0;
        for (int i = 0; i < length; i++)
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n'))) breaks++;
        return breaks;
    }

    /// <summary>CsvHelper found bad quoting in the record <see cref="Raw"/>, whose end it read on line <see cref="EndLine"/>.</summary>
    private sealed class BadQuoting(string raw, long endLine) : Exception
    {
        public string Raw { get; } = raw;
        public long EndLine { get; } = endLine;

        /// <summary>
        /// "line L, column C: what is wrong": CsvHelper says only that the record is bad, so the record is scanned
        /// again by RFC 4180's rules to find the field and the line where its trouble starts.
        /// </summary>
        public string Describe(string delimiter)
        {
            // RawRow counts the record's last line, except for a quote left open to the end of the file, where it
            // counts one line more when the file ends with a line break; both come out of this one difference.
            int breaks = LineBreaks(Raw, Raw.Length);
            var (problem, at, field, fieldStart) = Scan(delimiter);
            long start = problem == Problem.NeverClosed ? EndLine - breaks : RecordStart(EndLine, Raw);
            long line = start + LineBreaks(Raw, at);
            string column = $"line {line}, column {field + 1}";
            return problem switch
            {
                Problem.NeverClosed =>
                    $"{column}: a quoted field starting on line {line} is never closed " +
                    $"(its opening quote runs to the end of the file, line {start + LineBreaks(Raw, Raw.Length) - (EndsWithBreak(Raw) ? 1 : 0)})",
                Problem.TextAfterQuote =>
                    $"{column}: text follows the closing quote of the field {FieldText(fieldStart, delimiter)}; " +
                    "a quote inside a quoted field is written twice (\"\")",
                Problem.QuoteInside =>
                    $"{column}: the field {FieldText(fieldStart, delimiter)} has a quote inside it; " +
                    "a field with a quote must be quoted as a whole, with the inner quote written twice (\"\")",
                _ => $"line {start}: the quoting of this row is malformed",
            };
        }

        private enum Problem { None, NeverClosed, TextAfterQuote, QuoteInside }

        /// <summary>The first quoting problem in the record by RFC 4180's rules: where it is, in which field, where that field starts.</summary>
        private (Problem, int At, int Field, int FieldStart) Scan(string delimiter)
        {
            int field = 0, fieldStart = 0, quoteAt = -1;
            bool quoted = false, closed = false;
            for (int i = 0; i < Raw.Length; i++)
            {
                char c = Raw[i];
                if (quoted && !closed)
                {
                    if (c != '"') continue;
                    if (i + 1 < Raw.Length && Raw[i + 1] == '"') i++;
                    else closed = true;
                    continue;
                }
                if (string.CompareOrdinal(Raw, i, delimiter, 0, delimiter.Length) == 0)
                {
                    field++;
                    fieldStart = i + delimiter.Length;
                    quoted = closed = false;
                    i += delimiter.Length - 1;
                    continue;
                }
                if (c is '\n' or '\r') break; // the end of the record
                if (i == fieldStart && c == '"')
                {
                    quoted = true;
                    quoteAt = i;
                }
                else if (closed) return (Problem.TextAfterQuote, i, field, fieldStart);
                else if (c == '"') return (Problem.QuoteInside, i, field, fieldStart);
            }
            return quoted && !closed ? (Problem.NeverClosed, quoteAt, field, fieldStart) : (Problem.None, 0, 0, 0);
        }

        /// <summary>The field starting at <paramref name="from"/>, to the next delimiter or line break, as a message shows it.</summary>
        private string FieldText(int from, string delimiter)
        {
            int end = from;
            while (end < Raw.Length && Raw[end] is not ('\n' or '\r') && string.CompareOrdinal(Raw, end, delimiter, 0, delimiter.Length) != 0) end++;
            return Shown(Raw[from..end]);
        }
    }
}

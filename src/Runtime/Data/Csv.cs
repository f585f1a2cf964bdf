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
        if (Directory.Exists(path)) return Error.New($"{path}: is a directory, not a CSV file");
        if (!File.Exists(path)) return Error.New($"{path}: file not found");
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
        if (layout.ClassCount < 2) return Error.New($"{name}: a classifier needs at least 2 classes, got {layout.ClassCount}");
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = layout.Delimiter,
            HasHeaderRecord = false,
            // Blank lines carry no sample; CsvHelper would otherwise report them as rows of one empty field.
            IgnoreBlankLines = true,
            // BadDataFound keeps its default, which throws: a field with a stray quote must be reported, not repaired.
            Mode = CsvMode.RFC4180,
        };
        try
        {
            using var parser = new CsvParser(reader, config);
            return ReadRows(parser, name, layout);
        }
        catch (CsvHelperException e)
        {
            return Error.New($"{name}: malformed CSV near line {e.Context?.Parser?.RawRow}: {e.Message.Split('\n')[0]}");
        }
    }

    private static Fin<Dataset> ReadRows(CsvParser parser, string name, CsvLayout layout)
    {
        var features = new List<float>();
        var labels = new List<int>();
        string[]? header = null;
        int width = -1, widthLine = 0;
        while (parser.Read())
        {
            var fields = parser.Record!;
            long line = parser.RawRow;
            if (width < 0 && header is null && labels.Count == 0 && fields.All(f => !IsNumber(f)))
            {
                header = fields;
                width = fields.Length;
                widthLine = (int)line;
                continue;
            }
            if (width < 0)
            {
                width = fields.Length;
                widthLine = (int)line;
            }
            if (fields.Length != width)
                return Error.New($"{name}, line {line}: {fields.Length} fields, but line {widthLine} ({(header is null ? "the first row" : "the header")}) has {width}; every row must have the same number");
            if (width < 2) return Error.New($"{name}, line {line}: a row needs a label and at least one feature, but has {width} field");

            int labelAt = layout.LabelColumn >= 0 ? layout.LabelColumn : width + layout.LabelColumn;
            if (labelAt < 0 || labelAt >= width)
                return Error.New($"{name}: label column {layout.LabelColumn} does not exist in rows of {width} fields");
            string Column(int c) => header is null ? $"column {c + 1}" : $"column {c + 1} (\"{header[c]}\")";

            string labelText = fields[labelAt].Trim();
            if (!int.TryParse(labelText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int label))
                return Error.New($"{name}, line {line}, {Column(labelAt)}: label \"{labelText}\" is not a whole number");
            if ((uint)label >= (uint)layout.ClassCount)
                return Error.New($"{name}, line {line}, {Column(labelAt)}: label {label} is outside 0..{layout.ClassCount - 1}");
            labels.Add(label);

            for (int c = 0; c < width; c++)
            {
                if (c == labelAt) continue;
                string text = fields[c].Trim();
                if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                    return Error.New($"{name}, line {line}, {Column(c)}: \"{text}\" is not a number");
                if (!float.IsFinite(value))
                    return Error.New($"{name}, line {line}, {Column(c)}: \"{text}\" is {(float.IsNaN(value) ? "NaN" : "infinite (or beyond float range)")}; features must be finite");
                features.Add(value);
            }
        }
        if (labels.Count == 0)
            return Error.New($"{name}: no data rows{(header is null ? "" : " after the header")}; the set is empty");
        return Dataset.Create(name, [.. features], [.. labels], width - 1, layout.ClassCount);
    }

    private static bool IsNumber(string field) =>
        double.TryParse(field.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}

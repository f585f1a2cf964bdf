// What a data reader may do with any input, fuzzed or kept: succeed with data that matches the bytes, or fail in its own clear words.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Functional.Data;
using Xunit.Sdk;

namespace Functional.Tests.Fuzz;

/// <summary>
/// The contract every IDX and CSV input is held to: a Fin success whose data is consistent with the input, or a Fin
/// failure whose message names the source on one short line in the library's words; any exception breaks it, and
/// so does allocating much more than the data that exists (a header may claim gigabytes).
/// </summary>
internal static class ReaderContracts
{
    public const string Name = "fuzz-case";

    // Words of the layers underneath that must never reach a user: advice they cannot follow, or a misleading cause.
    private static readonly string[] Jargon = ["BadDataFound", "unsupported compression method", "IParser", "Exception"];

    private static readonly CsvLayout[] CsvLayouts = [new(10), new(10, LabelColumn: -1, Delimiter: ";"), new(3, LabelColumn: 1, Delimiter: "\t")];

    public static void Images(byte[] input) => IdxRead(input, Idx.ReadImages, (images, content) =>
    {
        Require(images.Count > 0 && images.Rows > 0 && images.Columns > 0, $"an empty shape {images.Count}×{images.Rows}×{images.Columns}");
        Require(images.Pixels.Length == (Int128)images.Count * images.Rows * images.Columns, "pixels do not match the shape");
        Require(content.Length == 16 + images.Pixels.Length, $"{images.Pixels.Length} pixels from {content.Length} bytes of content");
        for (int k = 0; k < images.Pixels.Length; k++)
            Require(images.Pixels[k] == content[16 + k] / 255f, $"pixel {k} is {images.Pixels[k]}, byte {content[16 + k]}");
    });

    public static void Labels(byte[] input) => IdxRead(input, Idx.ReadLabels, (labels, content) =>
    {
        Require(labels.Length > 0 && content.Length == 8 + labels.Length, $"{labels.Length} labels from {content.Length} bytes of content");
        for (int k = 0; k < labels.Length; k++) Require(labels[k] == content[8 + k], $"label {k} is {labels[k]}, byte {content[8 + k]}");
    });

    private static void IdxRead<T>(byte[] input, Func<Stream, string, LanguageExt.Fin<T>> read, Action<T, byte[]> consistent)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = read(new MemoryStream(input, writable: false), Name);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var content = Content(input);
        CheckAllocation(input, content, allocated);
        result.Match(
            Succ: value =>
            {
                CheckGzipWhole(input, content);
                consistent(value, content);
                return 0;
            },
            Fail: e => CheckMessage(e.Message));
    }

    public static void Csv(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        foreach (var layout in CsvLayouts)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var result = Functional.Data.Csv.Read(new StringReader(text), Name, layout);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // CsvHelper keeps its own buffers and a string per field; a fixed 4 MiB plus a generous multiple of the text covers them.
            Require(allocated < (4L << 20) + 64L * text.Length, $"{allocated:N0} bytes allocated for {text.Length:N0} characters");
            result.Match(
                Succ: data =>
                {
                    Require(data.Count > 0 && data.FeatureCount > 0, $"{data.Count} rows of {data.FeatureCount} features");
                    Require(data.Features.Length == data.Count * data.FeatureCount, "features do not match the shape");
                    foreach (int label in data.Labels) Require((uint)label < (uint)layout.ClassCount, $"label {label}");
                    foreach (float value in data.Features) Require(float.IsFinite(value), $"feature {value}");
                    return 0;
                },
                Fail: e => CheckMessage(e.Message));
        }
    }

    internal static int CheckMessage(string message)
    {
        Require(message.StartsWith(Name, StringComparison.Ordinal), "the message does not name the source");
        Require(message.Length <= 600, $"a {message.Length:N0}-character message: {message[..Math.Min(300, message.Length)]}…");
        Require(!message.Contains('\n') && !message.Contains('\r'), "a message split over lines");
        foreach (string word in Jargon) Require(!message.Contains(word, StringComparison.Ordinal), $"the message speaks of {word}");
        return 0;
    }

    private static void CheckAllocation(byte[] input, byte[] content, long allocated)
    {
        // Reading N bytes may cost a growing byte buffer (under 2N plus its 64 KiB start) and 4N of floats; 8N and a
        // fixed 1 MiB leave room for the rest, and fail a reader that reserves room for what a header merely claims.
        long data = Math.Max(input.Length, content.Length);
        Require(allocated < (1L << 20) + 8 * data, $"{allocated:N0} bytes allocated for {data:N0} bytes of data");
    }

    private static void CheckGzipWhole(byte[] input, byte[] content)
    {
        if (!IsGzip(input)) return;
        // GZipStream alone accepts a stream cut inside its trailer; a success must mean the trailer is there and agrees.
        Require(input.Length >= 18, "a success from a gzip stream shorter than its header and trailer");
        Require(BinaryPrimitives.ReadUInt32LittleEndian(input.AsSpan(input.Length - 4)) == (uint)content.Length, "a success whose gzip size field disagrees");
        Require(BinaryPrimitives.ReadUInt32LittleEndian(input.AsSpan(input.Length - 8)) == Crc32.Of(content), "a success whose gzip CRC-32 disagrees");
    }

    private static bool IsGzip(byte[] input) => input.Length >= 2 && input[0] == 0x1F && input[1] == 0x8B;

    /// <summary>What a reader sees after decompression: the input, or as much as .NET decompresses of it (capped).</summary>
    public static byte[] Content(byte[] input)
    {
        if (!IsGzip(input)) return input;
        var output = new MemoryStream();
        try
        {
            using var gzip = new GZipStream(new MemoryStream(input), CompressionMode.Decompress);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = gzip.Read(buffer)) > 0 && output.Length < (256L << 20)) output.Write(buffer, 0, n);
        }
        catch (InvalidDataException)
        {
            // Corrupt data: what came out before the damage is what a reader could have seen.
        }
        return output.ToArray();
    }

    private static void Require(bool condition, string violation)
    {
        if (!condition) throw new XunitException(violation);
    }
}

// Tests of the IDX reader: round trips of raw and gzip files, and a clear, file-naming error for each kind of bad input.
using System.Buffers.Binary;
using System.IO.Compression;
using Functional.Data;
using LanguageExt;

namespace Functional.Tests.Data;

/// <summary>Builds small IDX files byte by byte, so tests control every header field.</summary>
internal static class IdxScratch
{
    public static byte[] Header(int magic, params uint[] dims)
    {
        var bytes = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        return bytes;
    }

    /// <summary>An image file whose pixel k is <paramref name="pixel"/>(k), so any misread byte shows.</summary>
    public static byte[] Images(int count, int rows, int columns, Func<int, byte>? pixel = null)
    {
        pixel ??= k => (byte)(k * 37 % 256);
        var body = new byte[count * rows * columns];
        for (int k = 0; k < body.Length; k++) body[k] = pixel(k);
        return [.. Header(Idx.ImagesMagic, (uint)count, (uint)rows, (uint)columns), .. body];
    }

    public static byte[] Labels(params int[] labels) =>
        [.. Header(Idx.LabelsMagic, (uint)labels.Length), .. labels.Select(l => (byte)l)];

    public static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(raw);
        return output.ToArray();
    }

    public static string Message<T>(Fin<T> result) =>
        result.Match(Succ: value => throw new Xunit.Sdk.XunitException($"expected an error, got {value}"), Fail: e => e.Message);

    public static T Value<T>(Fin<T> result) =>
        result.Match(Succ: value => value, Fail: e => throw new Xunit.Sdk.XunitException($"expected success, got: {e.Message}"));
}

/// <summary>A fresh directory under the system temp folder, deleted afterwards.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("functional-data-").FullName;

    public string Write(string name, byte[] content)
    {
        string path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

public sealed class IdxTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Raw_images_round_trip_scaled_by_255()
    {
        var file = IdxScratch.Images(count: 2, rows: 3, columns: 4, pixel: k => k switch { 0 => 0, 1 => 255, 2 => 128, _ => (byte)k });
        var images = IdxScratch.Value(Idx.ReadImages(dir.Write("images-idx3-ubyte", file)));

        Assert.Equal((2, 3, 4, 12), (images.Count, images.Rows, images.Columns, images.PixelsPerImage));
        Assert.Equal(24, images.Pixels.Length);
        Assert.Equal(0f, images.Pixels[0]);
        Assert.Equal(1f, images.Pixels[1]);
        Assert.Equal(128f / 255f, images.Pixels[2]);
        for (int k = 3; k < 24; k++) Assert.Equal(k / 255f, images.Pixels[k]);
    }

    [Fact]
    public void Gzip_images_and_labels_round_trip()
    {
        var raw = IdxScratch.Images(count: 5, rows: 28, columns: 28);
        var images = IdxScratch.Value(Idx.ReadImages(dir.Write("images.gz", IdxScratch.Gzip(raw))));
        var labels = IdxScratch.Value(Idx.ReadLabels(dir.Write("labels.gz", IdxScratch.Gzip(IdxScratch.Labels(9, 0, 3, 255, 1)))));

        Assert.Equal(5, images.Count);
        int header = 16;
        for (int k = 0; k < images.Pixels.Length; k++) Assert.Equal(raw[header + k] / 255f, images.Pixels[k]);
        Assert.Equal([9, 0, 3, 255, 1], labels);
    }

    [Fact]
    public void Content_not_extension_decides_compression()
    {
        // A raw file with a .gz name and a gzip file without one both read: people gunzip in place and keep names.
        var labels = IdxScratch.Labels(1, 2, 3);
        Assert.Equal([1, 2, 3], IdxScratch.Value(Idx.ReadLabels(dir.Write("raw-but-named.gz", labels))));
        Assert.Equal([1, 2, 3], IdxScratch.Value(Idx.ReadLabels(dir.Write("gzip-but-named-raw", IdxScratch.Gzip(labels)))));
    }

    [Fact]
    public void Stream_overload_reads_unseekable_gzip_and_errors_use_the_given_name()
    {
        var gz = IdxScratch.Gzip(IdxScratch.Labels(4, 5));
        Assert.Equal([4, 5], IdxScratch.Value(Idx.ReadLabels(new UnseekableStream(gz), "labels resource")));

        var message = IdxScratch.Message(Idx.ReadImages(new UnseekableStream(gz), "labels resource"));
        Assert.StartsWith("labels resource:", message);
    }

    [Fact]
    public void Wrong_magic_names_the_file_and_both_magic_numbers()
    {
        string path = dir.Write("train-labels-idx1-ubyte.gz", IdxScratch.Gzip(IdxScratch.Labels(1, 2)));
        var message = IdxScratch.Message(Idx.ReadImages(path));

        Assert.Contains(path, message);
        Assert.Contains("expected magic number 0x00000803 (unsigned-byte images, 3 dimensions)", message);
        Assert.Contains("found 0x00000801 (unsigned-byte labels, 1 dimension)", message);
    }

    [Fact]
    public void Non_idx_content_is_called_out()
    {
        string path = dir.Write("notes.txt", "hello, world"u8.ToArray());
        var message = IdxScratch.Message(Idx.ReadLabels(path));

        Assert.Contains(path, message);
        Assert.Contains("0x68656C6C", message);
        Assert.Contains("not an IDX file", message);
    }

    [Fact]
    public void Truncated_raw_file_names_the_file_and_the_sizes()
    {
        var full = IdxScratch.Images(count: 3, rows: 4, columns: 4);
        string path = dir.Write("short-idx3-ubyte", full[..(16 + 20)]);
        var message = IdxScratch.Message(Idx.ReadImages(path));

        Assert.Contains(path, message);
        Assert.Contains("truncated", message);
        Assert.Contains("3 images of 4×4 (48 bytes of data)", message);
        Assert.Contains("only 20 bytes", message);
    }

    [Fact]
    public void Truncated_gzip_file_names_the_file()
    {
        // Hash-like pixels barely compress, so half the .gz is well past the header and well short of the end.
        var gz = IdxScratch.Gzip(IdxScratch.Images(count: 50, rows: 28, columns: 28, pixel: k => (byte)(((uint)k * 2654435761u) >> 24)));
        string path = dir.Write("short-idx3-ubyte.gz", gz[..(gz.Length / 2)]);
        var message = IdxScratch.Message(Idx.ReadImages(path));

        // .NET's GZipStream reports a cut-off stream as an early end rather than an exception.
        Assert.StartsWith($"{path}: truncated: the header says 50 images of 28×28 (39,200 bytes of data) but only ", message);
    }

    [Fact]
    public void Corrupt_gzip_data_names_the_file()
    {
        var gz = IdxScratch.Gzip(IdxScratch.Images(count: 50, rows: 28, columns: 28));
        gz[10] = 0x07; // first deflate block header: final block of the reserved type 3, which no decoder accepts
        string path = dir.Write("scrambled-idx3-ubyte.gz", gz);
        var message = IdxScratch.Message(Idx.ReadImages(path));

        Assert.StartsWith($"{path}: the gzip data is corrupt", message);
        // .NET's own words for any damage would send the reader looking for an exotic compressor.
        Assert.DoesNotContain("unsupported compression method", message);
    }

    [Theory]
    [InlineData(2)] // header byte CM: not deflate
    [InlineData(-6)] // inside the trailer's CRC-32, which GZipStream does check when the trailer is whole
    public void Any_damage_to_gzip_data_is_called_corrupt_by_file_name(int at)
    {
        var gz = IdxScratch.Gzip(IdxScratch.Labels(1, 2, 3, 4));
        gz[at < 0 ? gz.Length + at : at] ^= 0x5A;
        string path = dir.Write("damaged-idx1-ubyte.gz", gz);
        Assert.StartsWith($"{path}: the gzip data is corrupt: it does not decompress", IdxScratch.Message(Idx.ReadLabels(path)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(9)] // the trailer and the deflate stream's last byte: every data byte still comes out
    public void Gzip_cut_inside_its_trailer_is_truncated(int cut)
    {
        var gz = IdxScratch.Gzip(IdxScratch.Images(count: 3, rows: 5, columns: 5));
        string path = dir.Write("cut-idx3-ubyte.gz", gz[..^cut]);
        var message = IdxScratch.Message(Idx.ReadImages(path));

        Assert.StartsWith($"{path}: truncated: the gzip stream does not end with the 8-byte trailer", message);
        // The same bytes through an unseekable stream (copied first) are judged the same way.
        Assert.Equal(message.Replace(path, "pipe"), IdxScratch.Message(Idx.ReadImages(new UnseekableStream(gz[..^cut]), "pipe")));
    }

    [Fact]
    public void Bytes_after_the_gzip_stream_are_refused()
    {
        string path = dir.Write("padded-idx1-ubyte.gz", [.. IdxScratch.Gzip(IdxScratch.Labels(1, 2)), 0, 0, 0, 0]);
        Assert.Contains("has bytes appended", IdxScratch.Message(Idx.ReadLabels(path)));
    }

    [Theory]
    [InlineData(0x4000_0000u, 0x4000_0000u, 16u)] // 2^64: wraps to 0, which read as a billion empty images
    [InlineData(0x4000_0000u, 0x4000_0000u, 8u)] // 2^63: wraps negative, which threw OverflowException
    [InlineData(0x7FFF_FFFFu, 0x7FFF_FFFFu, 0x7FFF_FFFFu)]
    [InlineData(0xFFFF_FFFFu, 0xFFFF_FFFFu, 0xFFFF_FFFFu)]
    public void Image_sizes_whose_product_wraps_are_refused(uint count, uint rows, uint columns)
    {
        foreach (var file in new[] { IdxScratch.Header(Idx.ImagesMagic, count, rows, columns), IdxScratch.Gzip(IdxScratch.Header(Idx.ImagesMagic, count, rows, columns)) })
        {
            var message = IdxScratch.Message(Idx.ReadImages(new MemoryStream(file), "wrapped"));
            Assert.StartsWith($"wrapped: the header says {count:N0} images of {rows:N0}×{columns:N0} pixels, more than fits in memory", message);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_header_claiming_much_data_allocates_only_for_the_data_there(bool gzip)
    {
        // 1.9 GB claimed, 3 bytes there: the reader must find out it is short without reserving room for the claim.
        var raw = (byte[])[.. IdxScratch.Header(Idx.LabelsMagic, 1_900_000_000u), 1, 2, 3];
        var file = gzip ? IdxScratch.Gzip(raw) : raw;
        foreach (var stream in new Stream[] { new MemoryStream(file), new UnseekableStream(file) })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var message = IdxScratch.Message(Idx.ReadLabels(stream, "claims"));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Contains("only 3 bytes follow it", message);
            Assert.True(allocated < 256 * 1024, $"{allocated:N0} bytes allocated to read a {file.Length}-byte file");
        }
    }

    [Theory]
    [InlineData(null, "no file name given (the path is null; expected an IDX file)")]
    [InlineData("", "no file name given (the path is empty; expected an IDX file)")]
    [InlineData("  ", "no file name given (the path \"  \" is only white space; expected an IDX file)")]
    public void A_missing_path_is_called_missing(string? path, string expected)
    {
        Assert.Equal(expected, IdxScratch.Message(Idx.ReadImages(path!)));
        Assert.Equal(expected, IdxScratch.Message(Idx.ReadLabels(path!)));
        Assert.Equal(expected, IdxScratch.Message(Sources.FromIdx(path!, path!, 10)));
    }

    [Fact]
    public void Truncated_header_and_empty_file_are_errors()
    {
        string header = dir.Write("half-header", IdxScratch.Header(Idx.ImagesMagic, 3, 28, 28)[..9]);
        var message = IdxScratch.Message(Idx.ReadImages(header));
        Assert.Contains(header, message);
        Assert.Contains("3 dimension sizes (12 bytes)", message);
        Assert.Contains("only 5 bytes", message);

        string empty = dir.Write("empty", []);
        Assert.Contains($"{empty}: the file is empty", IdxScratch.Message(Idx.ReadLabels(empty)));
    }

    [Theory]
    [InlineData(0u, 28u, 28u, "0 images")]
    [InlineData(2u, 0u, 28u, "0×28 pixels")]
    [InlineData(2u, 28u, 0u, "28×0 pixels")]
    [InlineData(4_000_000_000u, 28u, 28u, "more than fits in memory")]
    [InlineData(3u, 0x80000000u, 1u, "more than fits in memory")]
    public void Nonsensical_image_dimensions_are_errors(uint count, uint rows, uint columns, string expected)
    {
        // Enough body bytes for a sane reading of the header would still be rejected: the dimension check comes first.
        string path = dir.Write("odd-idx3-ubyte", [.. IdxScratch.Header(Idx.ImagesMagic, count, rows, columns), .. new byte[64]]);
        var message = IdxScratch.Message(Idx.ReadImages(path));

        Assert.Contains(path, message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void Label_count_beyond_any_array_is_an_error_without_allocating_it()
    {
        string path = dir.Write("odd-idx1-ubyte", [.. IdxScratch.Header(Idx.LabelsMagic, 0xFFFFFFF0u), 1, 2, 3]);
        var message = IdxScratch.Message(Idx.ReadLabels(path));
        Assert.Contains(path, message);
        Assert.Contains("more than fits in memory", message);

        // A large but representable count with a short body must report truncation, not try to fill 2 GB first.
        string shortPath = dir.Write("short-idx1-ubyte", [.. IdxScratch.Header(Idx.LabelsMagic, 2_000_000_000u), 1, 2, 3]);
        var shortMessage = IdxScratch.Message(Idx.ReadLabels(shortPath));
        Assert.Contains("2,000,000,000 labels", shortMessage);
        Assert.Contains("only 3 bytes", shortMessage);
    }

    [Fact]
    public void Data_beyond_what_the_header_says_is_an_error()
    {
        string path = dir.Write("long-idx1-ubyte", [.. IdxScratch.Labels(1, 2, 3), 4]);
        var message = IdxScratch.Message(Idx.ReadLabels(path));

        Assert.Contains(path, message);
        Assert.Contains("3 labels", message);
        Assert.Contains("more data follows", message);
    }

    [Fact]
    public void Missing_file_and_directory_are_named()
    {
        string missing = Path.Combine(dir.Path, "nope-idx3-ubyte.gz");
        Assert.Equal($"{missing}: file not found", IdxScratch.Message(Idx.ReadImages(missing)));
        Assert.Contains($"{dir.Path}: is a directory", IdxScratch.Message(Idx.ReadLabels(dir.Path)));
    }

    /// <summary>Like a network or pipe stream: no Length, no Seek.</summary>
    private sealed class UnseekableStream(byte[] content) : Stream
    {
        private readonly MemoryStream inner = new(content);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

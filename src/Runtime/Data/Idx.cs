// Reads IDX files (the MNIST family's format), gzip-compressed or raw, turning every kind of bad input into an error that names the file.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics.Tensors;
using LanguageExt;
using LanguageExt.Common;

namespace Functional.Data;

/// <summary><see cref="Count"/> images of <see cref="Rows"/> × <see cref="Columns"/> pixels, row-major, scaled to [0, 1].</summary>
public sealed record IdxImages(float[] Pixels, int Count, int Rows, int Columns)
{
    /// <summary>Pixels per image: <see cref="Rows"/> × <see cref="Columns"/>.</summary>
    public int PixelsPerImage => Rows * Columns;
}

/// <summary>
/// The IDX format (LeCun's MNIST files): a big-endian magic number 0x0000TTNN (element type TT, NN dimensions),
/// NN big-endian 32-bit sizes, then the elements. Only the two kinds the MNIST family uses are read: 3-dimensional
/// unsigned-byte images and 1-dimensional unsigned-byte labels.
/// </summary>
public static class Idx
{
    /// <summary>The magic number of an images file: unsigned bytes (0x08), 3 dimensions.</summary>
    public const int ImagesMagic = 0x00000803;
    /// <summary>The magic number of a labels file: unsigned bytes (0x08), 1 dimension.</summary>
    public const int LabelsMagic = 0x00000801;

    // A corrupt header can claim billions of items. When the stream cannot say how much data it holds (gzip, a pipe),
    // the buffer starts at 64 KiB and doubles as bytes actually arrive, so such a file costs about what it holds.
    private const int FirstChunk = 1 << 16;

    // A gzip member is at least a 10-byte header and an 8-byte trailer (CRC-32 and size, little-endian).
    private const int GzipHeader = 10, GzipTrailer = 8;

    /// <summary>Reads an image file (gzip-compressed or raw: the content decides, not the name).</summary>
    public static Fin<IdxImages> ReadImages(string path) => FromFile(path, ReadImages);

    /// <summary>Reads images from <paramref name="stream"/> (left open); <paramref name="name"/> is what errors call it.</summary>
    public static Fin<IdxImages> ReadImages(Stream stream, string name) => Decoded(stream, name, body => ParseImages(body, name));

    /// <summary>Reads a label file (gzip-compressed or raw) as one int per label, 0..255.</summary>
    public static Fin<int[]> ReadLabels(string path) => FromFile(path, ReadLabels);

    /// <summary>Reads labels from <paramref name="stream"/> (left open); <paramref name="name"/> is what errors call it.</summary>
    public static Fin<int[]> ReadLabels(Stream stream, string name) => Decoded(stream, name, body => ParseLabels(body, name));

    private static Fin<IdxImages> ParseImages(Stream body, string name) =>
        ReadHeader(body, name, ImagesMagic).Bind(dims => ImagesAfterHeader(body, name, dims[0], dims[1], dims[2]));

    private static Fin<IdxImages> ImagesAfterHeader(Stream body, string name, uint count, uint rows, uint columns)
    {
        if (count == 0) return Error.New($"{name}: the header says the file holds 0 images");
        if (rows == 0 || columns == 0) return Error.New($"{name}: the header says each image is {rows}×{columns} pixels");
        // Three 32-bit sizes multiply to up to 96 bits: a plain product wraps, to a negative size or to 0 (2^30 × 2^30 × 16).
        if (ProductUpTo([count, rows, columns], Array.MaxLength) is not { } total)
            return Error.New($"{name}: the header says {count:N0} images of {rows:N0}×{columns:N0} pixels, " +
                             "more than fits in memory (is the header corrupt?)");
        return ReadBody(body, name, total, $"{count:N0} images of {rows}×{columns}").Map(bytes =>
        {
            var pixels = new float[bytes.Length];
            TensorPrimitives.ConvertChecked<byte, float>(bytes, pixels);
            // Divide rather than multiply by 1/255 so every value matches torchvision's ToTensor() bit for bit.
            TensorPrimitives.Divide(pixels, 255f, pixels);
            return new IdxImages(pixels, (int)count, (int)rows, (int)columns);
        });
    }

    private static Fin<int[]> ParseLabels(Stream body, string name) =>
        ReadHeader(body, name, LabelsMagic).Bind(dims => LabelsAfterHeader(body, name, dims[0]));

    private static Fin<int[]> LabelsAfterHeader(Stream body, string name, uint count)
    {
        if (count == 0) return Error.New($"{name}: the header says the file holds 0 labels");
        if (count > Array.MaxLength)
            return Error.New($"{name}: the header says {count:N0} labels, more than fits in memory (is the header corrupt?)");
        return ReadBody(body, name, count, $"{count:N0} labels").Map(bytes =>
        {
            var labels = new int[bytes.Length];
            TensorPrimitives.ConvertChecked<byte, int>(bytes, labels);
            return labels;
        });
    }

    /// <summary>
    /// The product of <paramref name="sizes"/>, or null when it exceeds <paramref name="limit"/>. Each step is checked
    /// before it is taken, so no size, however large, can make the product wrap.
    /// </summary>
    private static long? ProductUpTo(ReadOnlySpan<uint> sizes, long limit)
    {
        long product = 1;
        foreach (uint size in sizes)
        {
            if (size != 0 && product > limit / size) return null;
            product *= size;
        }
        return product;
    }

    /// <summary>Checks the magic number and returns the dimension sizes it announces.</summary>
    private static Fin<uint[]> ReadHeader(Stream body, string name, int expected)
    {
        Span<byte> magicBytes = stackalloc byte[4];
        int got = body.ReadAtLeast(magicBytes, 4, throwOnEndOfStream: false);
        if (got == 0) return Error.New($"{name}: the file is empty (expected an IDX file, {Describe(expected)})");
        if (got < 4) return Error.New($"{name}: truncated: the file ends after {got} bytes, inside the 4-byte IDX magic number");
        int magic = BinaryPrimitives.ReadInt32BigEndian(magicBytes);
        if (magic != expected)
            return Error.New($"{name}: expected magic number 0x{expected:X8} ({Describe(expected)}) but found 0x{magic:X8} ({Describe(magic)})");
        int rank = magic & 0xFF;
        Span<byte> sizeBytes = stackalloc byte[4 * rank];
        got = body.ReadAtLeast(sizeBytes, sizeBytes.Length, throwOnEndOfStream: false);
        if (got < sizeBytes.Length)
            return Error.New($"{name}: truncated: the header needs {rank} dimension sizes ({sizeBytes.Length} bytes) after the magic number, but only {got} bytes follow it");
        var dims = new uint[rank];
        for (int d = 0; d < rank; d++) dims[d] = BinaryPrimitives.ReadUInt32BigEndian(sizeBytes.Slice(4 * d, 4));
        return dims;
    }

    /// <summary>Reads exactly <paramref name="expected"/> bytes and insists that nothing follows them.</summary>
    private static Fin<byte[]> ReadBody(Stream body, string name, long expected, string what)
    {
        Fin<byte[]> Truncated(long got) =>
            Error.New($"{name}: truncated: the header says {what} ({expected:N0} bytes of data) but only {got:N0} bytes follow it");
        // Never allocate for data that is not there: a seekable (raw) stream says how much follows, so a short one is
        // refused before allocating and a whole one gets its buffer at once; any other stream grows it as bytes arrive.
        long capacity = Math.Min(expected, FirstChunk);
        if (body.CanSeek)
        {
            long available = Math.Max(0, body.Length - body.Position);
            if (available < expected) return Truncated(available);
            capacity = expected;
        }
        var buffer = new byte[capacity];
        long filled = 0;
        while (filled < expected)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(expected, 2L * buffer.Length));
            int n = body.Read(buffer, (int)filled, buffer.Length - (int)filled);
            if (n == 0) return Truncated(filled);
            filled += n;
        }
        // Extra bytes mean the header and the data disagree; trusting the header would silently drop or misalign samples.
        if (body.ReadByte() >= 0)
            return Error.New($"{name}: the header says {what} ({expected:N0} bytes of data) but more data follows; the header or the file is corrupt");
        return buffer;
    }

    private static string Describe(int magic)
    {
        if (magic == ImagesMagic) return "unsigned-byte images, 3 dimensions";
        if (magic == LabelsMagic) return "unsigned-byte labels, 1 dimension";
        if ((magic >>> 16) == 0x1F8B) return "a gzip header: the file was compressed twice";
        if ((magic >>> 16) != 0) return "not an IDX file: an IDX magic number starts with two zero bytes";
        string type = ((magic >> 8) & 0xFF) switch
        {
            0x08 => "unsigned-byte",
            0x09 => "signed-byte",
            0x0B => "16-bit integer",
            0x0C => "32-bit integer",
            0x0D => "32-bit float",
            0x0E => "64-bit float",
            var t => $"unknown element type 0x{t:X2}",
        };
        int rank = magic & 0xFF;
        return $"{type} values, {rank} dimension{(rank == 1 ? "" : "s")}";
    }

    private static Fin<T> FromFile<T>(string path, Func<Stream, string, Fin<T>> read)
    {
        if (DataPaths.FileProblem(path, "an IDX file") is { } problem) return Error.New(problem);
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            return read(file, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Error.New($"{path}: cannot be read: {e.Message}");
        }
    }

    /// <summary>Runs <paramref name="parse"/> on the decompressed content and maps stream failures to errors.</summary>
    private static Fin<T> Decoded<T>(Stream stream, string name, Func<Stream, Fin<T>> parse)
    {
        MemoryStream? copy = null;
        GZipStream? gzip = null;
        Counted? content = null;
        try
        {
            // Gzip is recognised by its first two bytes (0x1F 0x8B; IDX starts with 0x00 0x00), so a .gz that was
            // decompressed in place, or a raw file given a .gz name, still reads. Peeking needs a seekable stream.
            var source = stream;
            if (!source.CanSeek)
            {
                copy = new MemoryStream();
                source.CopyTo(copy);
                copy.Position = 0;
                source = copy;
            }
            long start = source.Position;
            int b0 = source.ReadByte(), b1 = source.ReadByte();
            source.Position = start;
            if (b0 != 0x1F || b1 != 0x8B) return parse(source);
            gzip = new GZipStream(source, CompressionMode.Decompress, leaveOpen: true);
            content = new Counted(gzip);
            var parsed = parse(content);
            // Parsing succeeded only after the decompressed data ended, so content has seen every byte of it.
            return parsed.IsSucc && TrailerProblem(source, start, content) is { } problem ? Error.New($"{name}: {problem}") : parsed;
        }
        catch (InvalidDataException) when (gzip is not null)
        {
            // .NET says "unsupported compression method" for every kind of damage (a bad block, a bad CRC), which
            // reads as if the file were fine but exotic; it is not.
            return Error.New($"{name}: the gzip data is corrupt: it does not decompress (a damaged or partly overwritten file; copy or download it again)");
        }
        catch (EndOfStreamException e)
        {
            return Error.New($"{name}: truncated: the data ends early ({e.Message})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return Error.New($"{name}: cannot be read: {e.Message}");
        }
        finally
        {
            content?.Dispose();
            gzip?.Dispose();
            copy?.Dispose();
        }
    }

    /// <summary>
    /// Null when the compressed stream in <paramref name="source"/> (from <paramref name="start"/>) ends with the 8-byte
    /// trailer of what <paramref name="content"/> decompressed to, else what is wrong. .NET's GZipStream checks a
    /// complete trailer but treats a stream that stops inside it, or inside the last deflate block after the data it
    /// needed, as a normal end; only the trailer says the file is whole.
    /// </summary>
    private static string? TrailerProblem(Stream source, long start, Counted content)
    {
        long length = source.Length - start;
        if (length < GzipHeader + GzipTrailer)
            return $"truncated: the gzip stream is {length:N0} bytes, shorter than a gzip header and trailer ({GzipHeader + GzipTrailer} bytes)";
        Span<byte> trailer = stackalloc byte[GzipTrailer];
        source.Position = source.Length - GzipTrailer;
        source.ReadExactly(trailer);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer), size = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        if (crc == content.Crc && size == (uint)content.Count) return null;
        return $"truncated: the gzip stream does not end with the 8-byte trailer (CRC-32 and size) of the {content.Count:N0} bytes " +
               "it decompresses to; the file was cut short, has bytes appended, or is several gzip streams one after another (not read)";
    }

    /// <summary>Passes a stream's bytes through, counting them and taking their CRC-32 on the way.</summary>
    private sealed class Counted(Stream inner) : Stream
    {
        private Crc32 crc = new();

        public long Count { get; private set; }
        public uint Crc => crc.Value;

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            crc.Append(buffer[..n]);
            Count += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int ReadByte()
        {
            Span<byte> one = stackalloc byte[1];
            return Read(one) == 0 ? -1 : one[0];
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

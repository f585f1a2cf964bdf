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
    public int PixelsPerImage => Rows * Columns;
}

/// <summary>
/// The IDX format (LeCun's MNIST files): a big-endian magic number 0x0000TTNN (element type TT, NN dimensions),
/// NN big-endian 32-bit sizes, then the elements. Only the two kinds the MNIST family uses are read: 3-dimensional
/// unsigned-byte images and 1-dimensional unsigned-byte labels.
/// </summary>
public static class Idx
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    // A corrupt header can claim billions of items; growing the buffer as bytes actually arrive keeps such a file
    // from allocating gigabytes before we notice it is short. 64 MiB holds all of Fashion-MNIST's largest file at once.
    private const int FirstChunk = 1 << 26;

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
        long total = (long)count * rows * columns;
        if (rows > int.MaxValue || columns > int.MaxValue || count > int.MaxValue || total > Array.MaxLength)
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
        var buffer = new byte[Math.Min(expected, FirstChunk)];
        long filled = 0;
        while (filled < expected)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(expected, 2L * buffer.Length));
            int n = body.Read(buffer, (int)filled, buffer.Length - (int)filled);
            if (n == 0)
                return Error.New($"{name}: truncated: the header says {what} ({expected:N0} bytes of data) but only {filled:N0} bytes follow it");
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
        if (Directory.Exists(path)) return Error.New($"{path}: is a directory, not an IDX file");
        if (!File.Exists(path)) return Error.New($"{path}: file not found");
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
            if (b0 == 0x1F && b1 == 0x8B) gzip = new GZipStream(source, CompressionMode.Decompress, leaveOpen: true);
            return parse(gzip ?? source);
        }
        catch (InvalidDataException e)
        {
            return Error.New($"{name}: the gzip data is corrupt or truncated ({e.Message})");
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
            gzip?.Dispose();
            copy?.Dispose();
        }
    }
}

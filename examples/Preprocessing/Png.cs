// A minimal grayscale PNG writer (signature, IHDR, one zlib IDAT, IEND), so figures need no imaging library.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace PreprocessingExample;

/// <summary>Writes 8-bit grayscale images as PNG (ISO/IEC 15948): each row prefixed by filter type 0, deflated once.</summary>
internal static class Png
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    public static void WriteGray(string path, byte[] pixels, int width, int height)
    {
        if (pixels.Length != width * height) throw new ArgumentException($"{pixels.Length} pixels do not make {width}×{height}");
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;  // bits per sample
        header[9] = 0;  // colour type: grayscale
        // compression, filter and interlace methods stay 0
        Chunk(file, "IHDR", header);

        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter: none
                zlib.Write(pixels, y * width, width);
            }
        Chunk(file, "IDAT", raw.ToArray());
        Chunk(file, "IEND", []);

        // Written beside the target and renamed, like every other output of this project.
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, file.ToArray());
        File.Move(temporary, path, overwrite: true);
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(u32, data.Length);
        output.Write(u32);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        // The CRC covers the type and the data, not the length.
        uint crc = Update(Update(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(u32, crc);
        output.Write(u32);
    }

    private static uint Update(uint crc, byte[] bytes)
    {
        foreach (byte b in bytes) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    /// <summary>CRC-32 with the reflected polynomial 0xEDB88320, as the PNG specification's sample code computes it.</summary>
    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}

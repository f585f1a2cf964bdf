// CRC-32 as gzip's trailer uses it (IEEE 802.3, reflected, polynomial 0xEDB88320), to check that a gzip stream is complete.
namespace Functional.Data;

/// <summary>
/// A running CRC-32. Written here rather than taken from System.IO.Hashing because one table-driven loop is all the
/// IDX reader needs, and a package for it would be one more thing to restore.
/// </summary>
internal struct Crc32
{
    private static readonly uint[] Table = BuildTable();

    // Kept inverted between calls, as the algorithm specifies; Value undoes the inversion.
    private uint state;

    public Crc32() => state = 0xFFFFFFFFu;

    public readonly uint Value => ~state;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        uint crc = state;
        var table = Table;
        foreach (byte b in bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        state = crc;
    }

    public static uint Of(ReadOnlySpan<byte> bytes)
    {
        var crc = new Crc32();
        crc.Append(bytes);
        return crc.Value;
    }

    private static uint[] BuildTable()
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

// What durable, bounded file writing needs from the OS: flushing a directory after a rename, and the process's file-size limit.
using System.Runtime.InteropServices;

namespace Functional.Persistence;

/// <summary>
/// fsync on a file makes its bytes durable, not its name: after a rename, the directory entry lives in the directory
/// and needs its own fsync (POSIX; ext4 and XFS document it). Windows' MoveFileEx with write-through has no such
/// separate step, so there this does nothing.
/// </summary>
internal static partial class Durability
{
    public static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(directory, ReadOnly | DirectoryOnly | CloseOnExec);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            // Some file systems (and some containers' overlays) cannot fsync a directory: EINVAL means "not supported", not "failed".
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != EInvalid)
                throw new IOException($"fsync of directory {directory} failed (errno {errno})");
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>
    /// The largest file this process may write (RLIMIT_FSIZE, "ulimit -f"), or null when unlimited or unknown. Writing
    /// past it raises SIGXFSZ, which kills the process unless ignored; checking first turns that into an error.
    /// </summary>
    public static long? FileSizeLimit()
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (GetResourceLimit(ResourceFileSize, out var limit) != 0) return null;
        return limit.Current >= long.MaxValue ? null : (long)limit.Current;
    }

    private struct ResourceLimit
    {
        public ulong Current, Maximum;
    }

    private const int ResourceFileSize = 1; // RLIMIT_FSIZE on Linux

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetResourceLimit(int resource, out ResourceLimit limit);

    private const int ReadOnly = 0, EInvalid = 22;
    // Linux's values; on macOS O_DIRECTORY is 0x100000 and O_CLOEXEC 0x1000000.
    private static readonly int DirectoryOnly = OperatingSystem.IsMacOS() ? 0x100000 : 0x10000;
    private static readonly int CloseOnExec = OperatingSystem.IsMacOS() ? 0x1000000 : 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

// Downloads Fashion-MNIST's four files into a cache directory, verifying SHA-256 and never leaving a partial file behind.
using System.Net;
using System.Security.Cryptography;
using LanguageExt;
using LanguageExt.Common;

namespace Functional.Data;

/// <summary>One file to fetch: its name (appended to a base address), its SHA-256 (lower-case hex) and size in bytes.</summary>
public sealed record DownloadFile(string Name, string Sha256, long Size);

/// <summary>Where a download stands: file <see cref="FileIndex"/> of <see cref="FileCount"/>, bytes so far of <see cref="Total"/>.</summary>
public readonly record struct DownloadProgress(string File, int FileIndex, int FileCount, long Received, long Total, bool Cached = false);

/// <summary>
/// Where and what to fetch. The base addresses are tried in order for each file; tests and mirrors inject their own.
/// </summary>
public sealed record DownloadOptions
{
    /// <summary>The base addresses to fetch from, tried in order for each file (the official ones by default).</summary>
    public IReadOnlyList<Uri> BaseUris { get; init; } = FashionMnistDownload.OfficialBaseUris;
    /// <summary>The files to fetch, with their sizes and SHA-256 digests (the official four by default).</summary>
    public IReadOnlyList<DownloadFile> Files { get; init; } = FashionMnistDownload.OfficialFiles;
    /// <summary>Where progress is reported, or null for no reports.</summary>
    public IProgress<DownloadProgress>? Progress { get; init; }
    /// <summary>A client to use (and not dispose); by default one is created for the download.</summary>
    public HttpClient? Client { get; init; }
}

/// <summary>
/// Fetches Fashion-MNIST from Zalando Research's official location into a cache directory. Each file streams into a
/// temporary file in that directory while its SHA-256 is computed; only a file of the published size and hash is
/// renamed to its final name. A corrupted or truncated download is deleted and reported, so the cache only ever holds
/// complete, verified files, and a file already there is verified rather than fetched again.
/// </summary>
public static class FashionMnistDownload
{
    /// <summary>
    /// The "Download" links of github.com/zalandoresearch/fashion-mnist's README point at this S3 website (plain HTTP:
    /// S3 website endpoints have no HTTPS), so it comes first; the same files in the repository itself come second.
    /// The SHA-256 check, not the transport, is what guarantees the bytes.
    /// </summary>
    public static IReadOnlyList<Uri> OfficialBaseUris { get; } =
    [
        new("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
        new("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
    ];

    /// <summary>
    /// The four files as Zalando publishes them. The README lists MD5s only; these SHA-256s are of the files with those
    /// MD5s (8d4fb7e6…, 25c81989…, bef4ecab…, bb300cfd…), checked here against Debian's copies (see docs/preprocessing.md).
    /// </summary>
    public static IReadOnlyList<DownloadFile> OfficialFiles { get; } =
    [
        new("train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26_421_880),
        new("train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29_515),
        new("t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4_422_102),
        new("t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5_148),
    ];

    /// <summary>$XDG_CACHE_HOME/functional/fashion-mnist, else ~/.cache/functional/fashion-mnist.</summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string root = string.IsNullOrEmpty(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
                : xdg;
            return Path.Combine(root, "functional", "fashion-mnist");
        }
    }

    /// <summary>Makes sure every file is in <paramref name="cacheDirectory"/> and verified, then loads the data set from there.</summary>
    public static async Task<Fin<FashionMnist>> LoadAsync(string cacheDirectory, DownloadOptions? options = null, CancellationToken cancel = default)
    {
        var fetched = await FetchAsync(cacheDirectory, options, cancel).ConfigureAwait(false);
        return fetched.Bind(directory => FashionMnist.Load(directory));
    }

    /// <summary>
    /// Downloads whichever files are missing from <paramref name="cacheDirectory"/> (or fail verification there) and
    /// returns the directory. Fails with every file's problem (address, status, size or hash) when any file could not
    /// be fetched intact; the verified ones stay, nothing partial does.
    /// </summary>
    public static async Task<Fin<string>> FetchAsync(string cacheDirectory, DownloadOptions? options = null, CancellationToken cancel = default)
    {
        options ??= new DownloadOptions();
        // Directory.CreateDirectory("") would throw out of a Fin-returning method.
        if (DataPaths.DirectoryNameProblem(cacheDirectory, "the Fashion-MNIST cache directory") is { } unnamed) return Error.New(unnamed);
        if (options.BaseUris.Count == 0) return Error.New("no address to download from");
        try
        {
            Directory.CreateDirectory(cacheDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Error.New($"{cacheDirectory}: cannot create the cache directory: {e.Message}");
        }

        var client = options.Client ?? new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        try
        {
            var problems = new List<string>();
            for (int i = 0; i < options.Files.Count; i++)
            {
                var file = options.Files[i];
                string target = Path.Combine(cacheDirectory, file.Name);
                if (File.Exists(target) && await Verify(target, file, cancel).ConfigureAwait(false) is null)
                {
                    options.Progress?.Report(new(file.Name, i, options.Files.Count, file.Size, file.Size, Cached: true));
                    continue;
                }
                var attempts = new List<string>();
                foreach (var baseUri in options.BaseUris)
                {
                    string? problem = await FetchOne(client, new Uri(baseUri, file.Name), target, file, i, options, cancel).ConfigureAwait(false);
                    if (problem is null)
                    {
                        attempts.Clear();
                        break;
                    }
                    attempts.Add(problem);
                }
                if (attempts.Count > 0) problems.Add($"{file.Name} ({string.Join("; then ", attempts)})");
            }
            return problems.Count == 0
                ? Fin<string>.Succ(cacheDirectory)
                : Error.New($"Fashion-MNIST download into {cacheDirectory} failed: {string.Join("; ", problems)}");
        }
        finally
        {
            if (options.Client is null) client.Dispose();
        }
    }

    /// <summary>One attempt at one file: null on success, else what went wrong, naming the address.</summary>
    private static async Task<string?> FetchOne(HttpClient client, Uri uri, string target, DownloadFile file, int index,
                                                DownloadOptions options, CancellationToken cancel)
    {
        // The temporary name is hidden and unique, in the target's directory so the final rename is atomic.
        string temporary = Path.Combine(Path.GetDirectoryName(target)!, $".{file.Name}.{Guid.NewGuid():N}.partial");
        long received = 0;
        try
        {
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
                return $"{uri}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}";
            long total = response.Content.Headers.ContentLength ?? file.Size;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            await using (var input = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false))
            {
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await input.ReadAsync(buffer, cancel).ConfigureAwait(false)) > 0)
                {
                    // Never trust a server to stop: more bytes than published is a wrong file, and need not fill the disk.
                    if (received + n > file.Size)
                        return $"{uri}: more than the published {file.Size:N0} bytes arrived; this is not the official file";
                    await output.WriteAsync(buffer.AsMemory(0, n), cancel).ConfigureAwait(false);
                    hash.AppendData(buffer, 0, n);
                    received += n;
                    options.Progress?.Report(new(file.Name, index, options.Files.Count, received, total));
                }
                await output.FlushAsync(cancel).ConfigureAwait(false);
            }
            if (received != file.Size)
                return $"{uri}: truncated: {received:N0} of {file.Size:N0} bytes arrived";
            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != file.Sha256)
                return $"{uri}: corrupted: SHA-256 {actual}, expected {file.Sha256}";
            File.Move(temporary, target, overwrite: true);
            return null;
        }
        catch (HttpRequestException e)
        {
            return $"{uri}: {(received > 0 ? $"truncated: the connection failed after {received:N0} of {file.Size:N0} bytes" : "cannot connect")} ({e.Message})";
        }
        catch (IOException e)
        {
            // HttpIOException ("the response ended prematurely") is how a connection closed mid-body shows up.
            return $"{uri}: truncated: the transfer broke off after {received:N0} of {file.Size:N0} bytes ({e.Message})";
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            return $"{uri}: timed out after {received:N0} of {file.Size:N0} bytes";
        }
        catch (UnauthorizedAccessException e)
        {
            return $"{target}: cannot be written: {e.Message}";
        }
        finally
        {
            // Whatever happened, no partial file survives; after a successful rename there is nothing to delete.
            try { File.Delete(temporary); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Null when <paramref name="path"/> has the published size and hash, else what differs.</summary>
    private static async Task<string?> Verify(string path, DownloadFile file, CancellationToken cancel)
    {
        var info = new FileInfo(path);
        if (info.Length != file.Size) return $"{path}: {info.Length:N0} bytes, expected {file.Size:N0}";
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        string actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancel).ConfigureAwait(false));
        return actual == file.Sha256 ? null : $"{path}: SHA-256 {actual}, expected {file.Sha256}";
    }
}

/// <summary>
/// A dependency-free progress bar for downloads: redrawn in place on a terminal, and one line per file and per
/// quarter when output is redirected (a log should not fill with carriage returns).
/// </summary>
public sealed class TextDownloadProgress(TextWriter output, bool interactive) : IProgress<DownloadProgress>
{
    private const int Width = 30;
    private string? file;
    private int quarter = -1;
    private long lastDraw = -1;

    /// <summary>Writes to the console, in place when it is a terminal.</summary>
    public static TextDownloadProgress ForConsole() => new(Console.Out, !Console.IsOutputRedirected);

    /// <summary>Draws the progress of <paramref name="p"/>: in place on a terminal, else a line per file and per quarter.</summary>
    public void Report(DownloadProgress p)
    {
        double fraction = p.Total > 0 ? Math.Min(1, (double)p.Received / p.Total) : 0;
        string label = $"[{p.FileIndex + 1}/{p.FileCount}] {p.File}";
        if (p.Cached)
        {
            if (interactive && file is not null) output.WriteLine();
            output.WriteLine($"{label}: already downloaded and verified");
            file = null;
            return;
        }
        if (p.File != file)
        {
            if (interactive && file is not null) output.WriteLine();
            file = p.File;
            quarter = -1;
            lastDraw = -1;
        }
        if (interactive)
        {
            // Redraw at most every 0.5 % so a fast loopback transfer does not spend its time printing.
            long step = Math.Max(1, p.Total / 200);
            if (p.Received / step == lastDraw && p.Received != p.Total) return;
            lastDraw = p.Received / step;
            int filled = (int)(fraction * Width);
            output.Write($"\r{label} [{new string('#', filled)}{new string('.', Width - filled)}] {fraction,4:P0} {p.Received / 1e6,6:F1}/{p.Total / 1e6:F1} MB");
            if (p.Received >= p.Total) { output.WriteLine(); file = null; }
        }
        else
        {
            int q = (int)(fraction * 4);
            if (q == quarter) return;
            quarter = q;
            output.WriteLine($"{label}: {fraction:P0} of {p.Total / 1e6:F1} MB");
        }
    }
}

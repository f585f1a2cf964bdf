// Downloads for real over HTTP from a loopback server: good, corrupted and truncated files, caching, and fallback addresses.
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Functional.Data;
using Xunit.Abstractions;

namespace Functional.Tests.Data;

/// <summary>
/// An HTTP server on 127.0.0.1 (a free port) serving named byte arrays. A file can be served corrupted (as given) or
/// truncated: the full Content-Length is announced, half the bytes are sent, and the connection is aborted.
/// </summary>
internal sealed class LoopbackServer : IDisposable
{
    private HttpListener listener = new();
    private readonly Task loop;
    public ConcurrentDictionary<string, byte[]> Files { get; } = new();
    public ConcurrentDictionary<string, bool> Truncate { get; } = new();
    public ConcurrentDictionary<string, int> Requests { get; } = new();
    public Uri BaseUri { get; }

    /// <summary>Addresses under this folder answer 404, as a mirror without the files would.</summary>
    public Uri Missing => new(BaseUri, "gone/");

    public LoopbackServer()
    {
        // Port 0 asks the OS for a free port; HttpListener cannot, so borrow one from a socket and release it. Another
        // process can take it in between (tests run beside other test runs), so try a few.
        for (int attempt = 1; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            BaseUri = new Uri($"http://127.0.0.1:{port}/data/");
            listener.Prefixes.Add(BaseUri.ToString());
            try
            {
                listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
                listener = new HttpListener();
            }
        }
        loop = Task.Run(Serve);
    }

    private async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => Answer(context));
        }
    }

    private async Task Answer(HttpListenerContext context)
    {
        string name = context.Request.Url!.Segments[^1];
        Requests.AddOrUpdate(name, 1, (_, n) => n + 1);
        var response = context.Response;
        try
        {
            if (context.Request.Url.AbsolutePath.StartsWith(Missing.AbsolutePath, StringComparison.Ordinal) || !Files.TryGetValue(name, out var bytes))
            {
                response.StatusCode = 404;
                response.Close();
                return;
            }
            response.ContentLength64 = bytes.Length;
            if (Truncate.ContainsKey(name))
            {
                await response.OutputStream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                await response.OutputStream.FlushAsync();
                response.Abort(); // the connection closes with half the announced bytes sent
                return;
            }
            await response.OutputStream.WriteAsync(bytes);
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { }
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}

public sealed class DownloadTests(ITestOutputHelper output) : IDisposable
{
    private readonly ScratchDirectory dir = new();
    private readonly LoopbackServer server = new();

    public void Dispose()
    {
        server.Dispose();
        dir.Dispose();
    }

    private string Cache => Path.Combine(dir.Path, "cache");

    /// <summary>Four small files standing in for Fashion-MNIST's, with their true sizes and hashes.</summary>
    private (DownloadOptions Options, Dictionary<string, byte[]> Content) Stage(int size = 200_000)
    {
        var content = new Dictionary<string, byte[]>();
        var files = new List<DownloadFile>();
        var random = new SeededRandom(size);
        foreach (var name in FashionMnist.FileNames)
        {
            var bytes = new byte[size + name.Length];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)random.NextInt(256);
            content[name] = bytes;
            server.Files[name] = bytes;
            files.Add(new DownloadFile(name, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length));
        }
        return (new DownloadOptions { BaseUris = [server.BaseUri], Files = files }, content);
    }

    /// <summary>Everything in the cache, hidden partial files included.</summary>
    private string[] CacheListing() =>
        Directory.Exists(Cache) ? [.. Directory.GetFiles(Cache).Select(Path.GetFileName).Order()!] : [];

    [Fact]
    public async Task Files_arrive_verified_with_progress_reported()
    {
        var (options, content) = Stage();
        var reports = new List<DownloadProgress>();
        var directory = IdxScratch.Value(await FashionMnistDownload.FetchAsync(Cache, options with { Progress = new Collect(reports) }));

        Assert.Equal(Cache, directory);
        Assert.Equal(FashionMnist.FileNames.Order(), CacheListing());
        foreach (var (name, bytes) in content) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(Cache, name)));
        // Progress rises to each file's full size, file by file.
        foreach (var name in FashionMnist.FileNames)
        {
            var mine = reports.Where(r => r.File == name).ToList();
            Assert.True(mine.Count > 1, $"{name}: {mine.Count} progress reports");
            Assert.Equal(content[name].Length, mine[^1].Received);
            Assert.True(mine.Zip(mine.Skip(1)).All(p => p.Item1.Received <= p.Item2.Received));
        }
    }

    [Fact]
    public async Task A_corrupted_file_is_rejected_and_not_left_behind()
    {
        var (options, _) = Stage();
        string bad = FashionMnist.FileNames[2];
        var corrupted = (byte[])server.Files[bad].Clone();
        corrupted[corrupted.Length / 3] ^= 0xFF;
        server.Files[bad] = corrupted;

        var message = IdxScratch.Message(await FashionMnistDownload.FetchAsync(Cache, options));

        Assert.StartsWith($"Fashion-MNIST download into {Cache} failed: {bad} ({server.BaseUri}{bad}: corrupted: SHA-256 ", message);
        Assert.Contains($"expected {options.Files[2].Sha256}", message);
        // The three good files are kept (each was verified on its own); the corrupted one and any partial file are gone.
        Assert.Equal(FashionMnist.FileNames.Where(f => f != bad).Order(), CacheListing());
    }

    [Fact]
    public async Task A_truncated_transfer_is_rejected_and_not_left_behind()
    {
        var (options, _) = Stage();
        string cut = FashionMnist.FileNames[0];
        server.Truncate[cut] = true;

        var message = IdxScratch.Message(await FashionMnistDownload.FetchAsync(Cache, options));

        Assert.Contains($"{cut} ({server.BaseUri}{cut}: truncated", message);
        Assert.Equal(FashionMnist.FileNames.Where(f => f != cut).Order(), CacheListing());
    }

    [Fact]
    public async Task Verified_files_are_not_fetched_again_and_damaged_ones_are_replaced()
    {
        var (options, content) = Stage();
        IdxScratch.Value(await FashionMnistDownload.FetchAsync(Cache, options));
        string damaged = FashionMnist.FileNames[1];
        File.WriteAllBytes(Path.Combine(Cache, damaged), [1, 2, 3]);

        IdxScratch.Value(await FashionMnistDownload.FetchAsync(Cache, options));

        Assert.Equal(content[damaged], File.ReadAllBytes(Path.Combine(Cache, damaged)));
        foreach (var name in FashionMnist.FileNames) Assert.Equal(name == damaged ? 2 : 1, server.Requests[name]);
        Assert.Equal(FashionMnist.FileNames.Order(), CacheListing());
    }

    [Fact]
    public async Task The_next_address_is_tried_when_one_fails()
    {
        var (options, _) = Stage();
        var missing = server.Missing;
        var result = await FashionMnistDownload.FetchAsync(Cache, options with { BaseUris = [missing, server.BaseUri] });
        IdxScratch.Value(result);

        var noServer = await FashionMnistDownload.FetchAsync(Path.Combine(dir.Path, "other"), options with { BaseUris = [missing] });
        Assert.Contains($"{missing}{FashionMnist.FileNames[0]}: the server answered 404", IdxScratch.Message(noServer));
    }

    [Fact]
    public void The_text_bar_redraws_in_place_on_a_terminal_and_logs_quarters_otherwise()
    {
        void Feed(IProgress<DownloadProgress> bar)
        {
            bar.Report(new("a.gz", 0, 2, 0, 0, Cached: true));
            for (long received = 0; received <= 1000; received += 50) bar.Report(new("b.gz", 1, 2, received, 1000));
        }
        var log = new StringWriter();
        Feed(new TextDownloadProgress(log, interactive: false));
        Assert.Equal(
            ["[1/2] a.gz: already downloaded and verified", "[2/2] b.gz: 0% of 0.0 MB", "[2/2] b.gz: 25% of 0.0 MB",
             "[2/2] b.gz: 50% of 0.0 MB", "[2/2] b.gz: 75% of 0.0 MB", "[2/2] b.gz: 100% of 0.0 MB"],
            log.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Replace(" %", "%")));

        var terminal = new StringWriter();
        Feed(new TextDownloadProgress(terminal, interactive: true));
        string drawn = terminal.ToString();
        Assert.Equal(21, drawn.Count(c => c == '\r'));
        Assert.EndsWith($"[{new string('#', 30)}] 100%    0.0/0.0 MB{Environment.NewLine}", drawn.Replace(" %", "%"));
    }

    /// <summary>
    /// The SHA-256s and sizes of the four files of the built-in subset, as data/fashion-mnist-subset/README.md records
    /// them (make_subset.py reproduces the files byte for byte).
    /// </summary>
    private static readonly DownloadFile[] SubsetFiles =
    [
        new("train-images-idx3-ubyte.gz", "83958856752acaa076ca45f46a5b6cae9fc35b0329f65b7256d58600aa0619ad", 1_745_699),
        new("train-labels-idx1-ubyte.gz", "2b1f19b587e6e6554e662e59dba7931b62bb86b1a77cf90348b342b33ed0df3f", 2_057),
        new("t10k-images-idx3-ubyte.gz", "39d14790dd762d695211acf670767462c4c0a1cf0ea1c6dc1217eb0ccc435dd2", 438_571),
        new("t10k-labels-idx1-ubyte.gz", "2844e614e02ecf0142ee15c6b0dd26b0241e0740ef3b93ca654cd1d5e4728e16", 521),
    ];

    /// <summary>
    /// The download's real check on real files that are always at hand: the subset built into the Runtime assembly,
    /// served over loopback, passes the SHA-256s and sizes recorded for it and loads as 4,000 + 1,000 images. Runs with
    /// or without the Debian package, so a machine without it still checks the hashing and the files it ships.
    /// </summary>
    [Fact]
    public Task The_built_in_subset_passes_its_recorded_hashes() => CheckSubsetAsync(Cache);

    private async Task CheckSubsetAsync(string cache)
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "data", "fashion-mnist-subset", "README.md"));
        var assembly = typeof(FashionMnist).Assembly;
        foreach (var file in SubsetFiles)
        {
            Assert.Contains($"{file.Sha256}  {file.Name}", readme); // the hashes here are the ones the subset's README records
            using var stream = assembly.GetManifestResourceStream("Functional/fashion-mnist-subset/" + file.Name);
            Assert.NotNull(stream);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            server.Files[file.Name] = copy.ToArray();
        }

        var data = IdxScratch.Value(await FashionMnistDownload.LoadAsync(cache, new DownloadOptions { BaseUris = [server.BaseUri], Files = SubsetFiles }));
        Assert.Equal((4_000, 1_000), (data.Train.Count, data.Test.Count));

        // One changed byte is caught by the same check.
        var damaged = (byte[])server.Files[SubsetFiles[3].Name].Clone();
        damaged[^1] ^= 1;
        server.Files[SubsetFiles[3].Name] = damaged;
        var message = IdxScratch.Message(await FashionMnistDownload.FetchAsync(Path.Combine(dir.Path, "damaged"), new DownloadOptions { BaseUris = [server.BaseUri], Files = SubsetFiles }));
        Assert.Contains($"expected {SubsetFiles[3].Sha256}", message);
    }

    /// <summary>
    /// The built-in SHA-256s are those of the files Zalando publishes. Debian's package holds the same compressed data
    /// with the gzip header's name and time stripped; restoring them (the name, and the times the published files carry)
    /// gives back the published files, whose MD5s are the README's. Served over loopback, they pass the real check.
    /// Needs the Debian package dataset-fashion-mnist (.ci/run installs it); without it, the library's official hashes
    /// must still be the ones recorded here, and the same download check runs on the built-in subset's files against
    /// their recorded hashes instead.
    /// </summary>
    [Fact]
    public async Task The_published_files_pass_the_official_hashes()
    {
        string debian = FashionMnist.SystemDirectory;
        var official = new Dictionary<string, (string Sha256, long Size)>
        {
            ["train-images-idx3-ubyte.gz"] = ("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26_421_880),
            ["train-labels-idx1-ubyte.gz"] = ("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29_515),
            ["t10k-images-idx3-ubyte.gz"] = ("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4_422_102),
            ["t10k-labels-idx1-ubyte.gz"] = ("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5_148),
        };
        Assert.Equal(official, FashionMnistDownload.OfficialFiles.ToDictionary(f => f.Name, f => (f.Sha256, f.Size)));
        if (!FashionMnist.FileNames.All(f => File.Exists(Path.Combine(debian, f))))
        {
            output.WriteLine($"{debian} is not installed (apt-get install dataset-fashion-mnist): checked the built-in subset against its recorded hashes instead");
            await CheckSubsetAsync(Path.Combine(dir.Path, "subset"));
            return;
        }

        var mtimes = new Dictionary<string, uint>
        {
            ["train-images-idx3-ubyte.gz"] = 1504176606, ["train-labels-idx1-ubyte.gz"] = 1504176606,
            ["t10k-images-idx3-ubyte.gz"] = 1504176627, ["t10k-labels-idx1-ubyte.gz"] = 1504176627,
        };
        var publishedMd5 = new Dictionary<string, string>
        {
            ["train-images-idx3-ubyte.gz"] = "8d4fb7e6c68d591d4c3dfef9ec88bf0d", ["train-labels-idx1-ubyte.gz"] = "25c81989df183df01b3e8a0aad5dffbe",
            ["t10k-images-idx3-ubyte.gz"] = "bef4ecab320f06d8554ea6380940ec79", ["t10k-labels-idx1-ubyte.gz"] = "bb300cfdad3c16e7a12a480ee83cd310",
        };
        foreach (var name in FashionMnist.FileNames)
        {
            var published = Republish(File.ReadAllBytes(Path.Combine(debian, name)), name, mtimes[name]);
            Assert.Equal(publishedMd5[name], Convert.ToHexStringLower(MD5.HashData(published)));
            server.Files[name] = published;
        }

        var data = IdxScratch.Value(await FashionMnistDownload.LoadAsync(Cache, new DownloadOptions { BaseUris = [server.BaseUri] }));
        Assert.Equal((60_000, 10_000), (data.Train.Count, data.Test.Count));
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));

    /// <summary>Puts back the FNAME field and modification time that Debian's re-packaging left out of the gzip header.</summary>
    private static byte[] Republish(byte[] debian, string name, uint mtime)
    {
        Assert.Equal([0x1F, 0x8B, 8, 0], debian[..4]); // deflate, no flags: no name stored
        var header = new byte[10];
        debian.AsSpan(0, 10).CopyTo(header);
        header[3] = 0x08; // FNAME
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), mtime);
        return [.. header, .. System.Text.Encoding.ASCII.GetBytes(name[..^3]), 0, .. debian.AsSpan(10)];
    }

    private sealed class Collect(List<DownloadProgress> into) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            lock (into) into.Add(value);
        }
    }
}

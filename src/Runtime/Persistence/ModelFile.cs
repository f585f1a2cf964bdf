// Saves a trained network with its fitted preprocessing in one versioned, checksummed file, and loads it back safely.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Functional.Data;
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace Functional.Persistence;

/// <summary>
/// The model file (".fnm"): a network's layout, parameters and buffers, and the fitted pipeline its inputs need, so
/// that a loaded model is applied to new data exactly as it was trained.
/// <code>
/// magic    8 bytes   89 'F' 'N' 'M' 0D 0A 1A 0A  (PNG's trick: a file mangled by text-mode transfer fails here)
/// version  u32 LE    1
/// sections           tag (4 ASCII bytes), length (u64 LE), payload, repeated:
///   HEAD   UTF-8 JSON: the network's layout, its run-time hyperparameters (per layer: dropout p, batch norm's
///          momentum and ε, leaky slope, ELU α, …; absent in older files, which then mean the declared values) and
///          the pipeline's steps (kinds, settings, where each array lies in PIPE)
///   PARM   float32 LE × ParameterCount
///   BUFS   float32 LE × BufferCount (batch-norm running statistics; empty for most networks)
///   PIPE   float32 LE: every pipeline array, one after another
///   END    SHA-256 of every byte before this section's tag; nothing may follow it
/// </code>
/// A reader rejects an unknown section whose tag starts with an upper-case letter (it would change what the model
/// means) and skips one starting with a lower-case letter (extra information, such as training metrics): PNG's rule
/// for critical and ancillary chunks. New sections can thus be added without a new version; the version changes
/// only when an existing section changes meaning.
/// </summary>
public static class ModelFile
{
    /// <summary>The format version this code writes and reads, stored after the magic bytes.</summary>
    public const int Version = 1;
    /// <summary>The usual file extension of a model file.</summary>
    public const string Extension = ".fnm";

    private static readonly byte[] Magic = [0x89, (byte)'F', (byte)'N', (byte)'M', 0x0D, 0x0A, 0x1A, 0x0A];
    private const string Head = "HEAD", Parameters = "PARM", Buffers = "BUFS", Pipeline = "PIPE", End = "END ";
    private const int SectionHeader = 12;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>
    /// Writes <paramref name="model"/> and <paramref name="pipeline"/> to <paramref name="path"/> atomically: to a
    /// temporary file beside it first, renamed over the target only when complete, so a crash or a full disk never
    /// leaves half a model or destroys the previous one.
    /// </summary>
    public static Fin<Unit> Save<TNet>(string path, TNet model, FittedPipeline pipeline) where TNet : class, INetwork<TNet>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pipeline);
        if (pipeline.OutputCount != TNet.InputCount)
            throw new ArgumentException($"the pipeline produces {pipeline.OutputCount} features but {typeof(TNet).Name} takes {TNet.InputCount}", nameof(pipeline));
        return Write(path, new ModelContents(TNet.Layout, model.Parameters.ToArray(), model.Buffers.ToArray(), pipeline) { Hyperparameters = model.Hyperparameters });
    }

    /// <summary>
    /// The largest file <see cref="Load{TNet}"/> reads (1 GiB): far above any dense network this library trains, and a
    /// bound that keeps a wrong path (a disk image, a video) from being read into memory whole.
    /// </summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>
    /// Reads a model of type <typeparamref name="TNet"/> and its pipeline. Fails, naming <paramref name="path"/>, for a
    /// missing, truncated or corrupt file, a file of another format or a newer version, and a file saved from a
    /// network of another layout (the difference is spelled out).
    /// </summary>
    public static Fin<(TNet Model, FittedPipeline Pipeline)> Load<TNet>(string path) where TNet : class, INetwork<TNet> =>
        from contents in Read(path, TNet.Layout, typeof(TNet).Name, TNet.Defaults)
        select (TNet.FromParameters(contents.Parameters, contents.Buffers, contents.Hyperparameters), contents.Pipeline);

    /// <summary>
    /// Writes <paramref name="contents"/> unless it holds a non-finite number: a diverged model must never replace a
    /// file that loads (<see cref="Decode"/> refuses NaN and ∞, so such a file would be a loss, not a save).
    /// </summary>
    internal static Fin<Unit> Write(string path, ModelContents contents)
    {
        if (string.IsNullOrWhiteSpace(path)) return Error.New("ModelFile.Save: no file name given (the path is empty)");
        if (Finite.Find(contents.Layout, contents.Parameters, contents.Buffers) is { } bad)
            return Error.New($"{path}: not saved: {bad} — the model holds a non-finite number (did training diverge? " +
                             "try a lower learning rate); any previous file there is unchanged");
        var description = contents.Pipeline.Describe();
        if (FirstNonFinite(description, "pipeline") is { } where)
            return Error.New($"{path}: not saved: the fitted pipeline's {where} is not finite; any previous file there is unchanged");
        return WriteAtomically(path, Encode(contents));
    }

    /// <summary>
    /// The name of the network a model file was saved from (its record's name), after checking the file is whole: for
    /// a program that can load several network types and must pick the one to load it as.
    /// </summary>
    public static Fin<string> NetworkName(string path) =>
        from bytes in ReadAll(path)
        from sections in ReadSections(bytes, path)
        from head in sections.TryGetValue(Head, out var h) ? ParseHead(h, path) : FinFail<JsonObject>(Error.New($"{path}: the HEAD section is missing"))
        from name in Field(head["network"], "name") is JsonValue v && v.TryGetValue<string>(out var text)
            ? FinSucc(text) : FinFail<string>(Error.New($"{path}: HEAD names no network"))
        select name;

    internal static Fin<ModelContents> Read(string path, NetworkLayout expected, string typeName, Hyperparameters? declared = null) =>
        ReadAll(path).Bind(bytes => Decode(bytes, path, expected, typeName, declared));

    /// <summary>Where the first non-finite array value of a pipeline description sits, or null.</summary>
    private static string? FirstNonFinite(TransformDescription d, string where)
    {
        foreach (var (key, values) in d.Arrays.OrderBy(p => p.Key, StringComparer.Ordinal))
            if (Finite.IndexOfNonFinite(values) is var i and >= 0) return $"{where} ({d.Kind}) array {key}[{i:N0}] = {values[i]}";
        for (int i = 0; i < d.Parts.Count; i++)
            if (FirstNonFinite(d.Parts[i], $"{where}, step {i + 1}") is { } found) return found;
        return null;
    }

    /// <summary>
    /// Reads the file, checking its signature and version from the first 12 bytes before reading the rest, so that a
    /// wrong file is refused at once whatever its size.
    /// </summary>
    private static Fin<byte[]> ReadAll(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) return Error.New("ModelFile.Load: no file name given (the path is empty)");
        try
        {
            if (Directory.Exists(path)) return Error.New($"{path}: is a directory, not a model file");
            if (!File.Exists(path)) return Error.New($"{path}: file not found");
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            var start = new byte[Math.Min(file.Length, Magic.Length + 4)];
            file.ReadExactly(start);
            if (CheckSignature(start, path) is { } wrong) return wrong;
            if (file.Length > MaxFileBytes)
                return Error.New($"{path}: {file.Length:N0} bytes, more than a model file may hold ({MaxFileBytes:N0}); is it the right file?");
            var bytes = new byte[file.Length];
            start.CopyTo(bytes, 0);
            file.ReadExactly(bytes.AsSpan(start.Length));
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Error.New($"{path}: cannot be read: {e.Message}");
        }
    }

    /// <summary>
    /// What a model file holds, independent of the generated network type: the generic <see cref="Save{TNet}"/> and
    /// <see cref="Load{TNet}"/> are thin wrappers over <see cref="Encode"/> and <see cref="Decode"/>.
    /// </summary>
    internal sealed record ModelContents(NetworkLayout Layout, float[] Parameters, float[] Buffers, FittedPipeline Pipeline)
    {
        /// <summary>
        /// Ancillary sections by tag (a lower-case first letter: a checkpoint's optimizer state and progress), written
        /// before END and read back; a plain model load skips them.
        /// </summary>
        public IReadOnlyDictionary<string, byte[]> Extras { get; init; } = new Dictionary<string, byte[]>();

        /// <summary>The run-time hyperparameters the model trained and infers with; null: the declared ones (and none written).</summary>
        public Hyperparameters? Hyperparameters { get; init; }
    }

    /// <summary>
    /// Decodes a model that must have the layout <paramref name="expected"/> (of the network type called
    /// <paramref name="typeName"/>); <paramref name="name"/> is what errors call the source. With <paramref name="declared"/>
    /// (the type's Defaults) the stored hyperparameters are applied to it, checked as a trial's would be.
    /// </summary>
    internal static Fin<ModelContents> Decode(byte[] bytes, string name, NetworkLayout expected, string typeName, Hyperparameters? declared = null)
    {
        var sections = ReadSections(bytes, name);
        if (sections.IsFail) return sections.Map(_ => default(ModelContents)!);
        var found = sections.ThrowIfFail();
        foreach (var required in (string[])[Head, Parameters, Buffers, Pipeline])
            if (!found.ContainsKey(required)) return Error.New($"{name}: the {required} section is missing");

        var parsed = ParseHead(found[Head], name);
        if (parsed.IsFail) return parsed.Map(_ => default(ModelContents)!);
        var head = parsed.ThrowIfFail();

        return from layout in CheckLayout(head["network"], expected, typeName, name)
               from p in Floats(found[Parameters], expected.ParameterCount, Parameters, name)
               from b in Floats(found[Buffers], expected.BufferCount, Buffers, name)
               from a in FloatsAny(found[Pipeline], Pipeline, name)
               from description in ParseDescription(head["pipeline"], a, name, "pipeline")
               from transform in Transforms.Restore(description, $"{name}: pipeline")
               from pipeline in transform is FittedPipeline fp
                   ? FinSucc(fp)
                   : FinFail<FittedPipeline>(Error.New($"{name}: the pipeline is a {transform.GetType().Name}, not a FittedPipeline"))
               from width in pipeline.OutputCount == expected.Inputs
                   ? FinSucc(unit)
                   : FinFail<Unit>(Error.New($"{name}: the pipeline produces {pipeline.OutputCount} features but {typeName} takes {expected.Inputs}"))
               // Fin holds no null, so "not asked for" is an empty array.
               from hyperparameters in declared is null ? FinSucc(System.Array.Empty<Hyperparameters>()) : ReadHyperparameters(head["hyperparameters"], declared, name).Map(h => new[] { h })
               select new ModelContents(expected, p, b, pipeline) { Extras = found.Where(f => char.IsLower(f.Key[0])).ToDictionary(), Hyperparameters = hyperparameters.FirstOrDefault() };
    }

    /// <summary>
    /// HEAD's "hyperparameters" (an array of {"layer": name, value name: number, …} in declaration order) applied to
    /// <paramref name="declared"/>: a missing entry (a file written before run-time hyperparameters) means the declared
    /// values; an unknown layer or value, or one out of range, is refused naming the layer.
    /// </summary>
    private static Fin<Hyperparameters> ReadHyperparameters(JsonNode? stored, Hyperparameters declared, string name)
    {
        if (stored is null) return declared;
        if (stored is not JsonArray layers) return Error.New($"{name}: HEAD's hyperparameters are a JSON {Kind(stored)}, not an array");
        if (layers.Count != declared.Layers.Count)
            return Error.New($"{name}: HEAD holds hyperparameters for {layers.Count} layers, {declared.Network.Name} has {declared.Layers.Count}");
        var result = declared;
        for (int i = 0; i < layers.Count; i++)
        {
            string expectedName = declared[i].Layer;
            if (layers[i] is not JsonObject layer || Field(layer, "layer") is not JsonValue n || !n.TryGetValue<string>(out var layerName) || layerName != expectedName)
                return Error.New($"{name}: hyperparameters entry {i + 1} should be layer {expectedName}'s, got {Clip(layers[i]?.ToJsonString() ?? "null")}");
            foreach (var (key, value) in layer)
            {
                if (key == "layer") continue;
                if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<float>(out var number))
                    return Error.New($"{name}: {expectedName}'s hyperparameter {Clip(key)} is {Clip(value?.ToJsonString() ?? "null")}, not a number");
                try
                {
                    result = result.With(expectedName, l => l.WithValue(key, number));
                }
                catch (ArgumentException e)
                {
                    return Error.New($"{name}: {Clip(e.Message, 300)}");
                }
            }
        }
        return result;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// HEAD as a JSON object: valid UTF-8, valid JSON, an object at the top, no key twice (a second "network" could
    /// otherwise mean two things to two readers).
    /// </summary>
    internal static Fin<JsonObject> ParseHead(byte[] payload, string name)
    {
        try
        {
            StrictUtf8.GetCharCount(payload);
        }
        catch (DecoderFallbackException e)
        {
            return Error.New($"{name}: corrupt: the HEAD section is not valid UTF-8 (byte {e.Index:N0})");
        }
        try
        {
            var node = JsonNode.Parse(payload, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
            if (node is not JsonObject head) return Error.New($"{name}: the HEAD section is JSON but not an object ({Kind(node)})");
            // Strings decode lazily, and one with a lone surrogate escape ("\ud800") throws when read: read them all now.
            DecodeStrings(head);
            return head;
        }
        catch (InvalidOperationException e)
        {
            return Error.New($"{name}: the HEAD section holds a string that is not valid Unicode ({Clip(e.Message, 200)})");
        }
        catch (JsonException e)
        {
            // System.Text.Json quotes the offending text, which a crafted file can make as long as it likes.
            return Error.New($"{name}: the HEAD section is not valid JSON ({Clip(e.Message.ReplaceLineEndings(" "), 300)})");
        }
    }

    private static void DecodeStrings(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, value) in o) DecodeStrings(value);
                break;
            case JsonArray a:
                foreach (var item in a) DecodeStrings(item);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                v.GetValue<string>();
                break;
        }
    }

    private static string Kind(JsonNode? node) => node?.GetValueKind().ToString().ToLowerInvariant() ?? "null";

    /// <summary><paramref name="node"/>[<paramref name="key"/>] when it is an object; null for any other node, so a crafted HEAD cannot make the reader throw.</summary>
    internal static JsonNode? Field(JsonNode? node, string key) => node is JsonObject o ? o[key] : null;

    // ---------------------------------------------------------------- writing

    internal static byte[] Encode(ModelContents contents)
    {
        var arrays = new List<float[]>();
        var head = new JsonObject
        {
            ["format"] = "Functional model",
            ["version"] = Version,
            ["network"] = JsonSerializer.SerializeToNode(contents.Layout, Json),
        };
        if (contents.Hyperparameters is { } h)
            head["hyperparameters"] = new JsonArray([.. h.Layers.Select(l =>
            {
                var layer = new JsonObject { ["layer"] = l.Layer };
                foreach (var (key, value) in l.Values()) layer[key] = value;
                return (JsonNode)layer;
            })]);
        head["pipeline"] = Describe(contents.Pipeline.Describe(), arrays);
        using var output = new MemoryStream();
        output.Write(Magic);
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(u32, Version);
        output.Write(u32);
        WriteSection(output, Head, Encoding.UTF8.GetBytes(head.ToJsonString(Json)));
        WriteSection(output, Parameters, FloatBytes(contents.Parameters));
        WriteSection(output, Buffers, FloatBytes(contents.Buffers));
        WriteSection(output, Pipeline, FloatBytes([.. arrays.SelectMany(a => a)]));
        foreach (var (tag, payload) in contents.Extras.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (tag.Length != 4 || !char.IsAsciiLetterLower(tag[0]) || !tag.All(c => c is >= ' ' and <= '~'))
                throw new ArgumentException($"an extra section's tag must be 4 ASCII characters starting with a lower-case letter, got \"{tag}\"", nameof(contents));
            WriteSection(output, tag, payload);
        }
        var hash = SHA256.HashData(output.GetBuffer().AsSpan(0, (int)output.Length));
        WriteSection(output, End, hash);
        return output.ToArray();
    }

    private static void WriteSection(Stream output, string tag, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[SectionHeader];
        Encoding.ASCII.GetBytes(tag, header);
        BinaryPrimitives.WriteUInt64LittleEndian(header[4..], (ulong)payload.Length);
        output.Write(header);
        output.Write(payload);
    }

    internal static byte[] FloatBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>The description as JSON, its arrays replaced by where they lie in PIPE (appended to <paramref name="arrays"/>).</summary>
    private static JsonObject Describe(TransformDescription d, List<float[]> arrays)
    {
        var settings = new JsonObject();
        foreach (var (key, value) in d.Settings.OrderBy(p => p.Key, StringComparer.Ordinal)) settings[key] = value;
        var placed = new JsonObject();
        foreach (var (key, value) in d.Arrays.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            placed[key] = new JsonObject { ["offset"] = arrays.Sum(a => (long)a.Length), ["length"] = value.Length };
            arrays.Add(value);
        }
        var parts = new JsonArray();
        foreach (var part in d.Parts) parts.Add(Describe(part, arrays));
        return new JsonObject { ["kind"] = d.Kind, ["settings"] = settings, ["arrays"] = placed, ["parts"] = parts };
    }

    /// <summary>
    /// Writes to a temporary file beside the target ("name.tmp-PID-GUID"), flushes it to disk, renames it over the
    /// target and flushes the directory, so the rename itself survives a power cut. On any failure the temporary file
    /// is removed and the target is untouched. Temporary files left by saves that were killed (whose process is gone)
    /// are removed first, so they cannot pile up.
    /// </summary>
    internal static Fin<Unit> WriteAtomically(string path, byte[] bytes)
    {
        string full, directory;
        try
        {
            full = Path.GetFullPath(path);
            directory = Path.GetDirectoryName(full)!;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return Error.New($"{path}: not a usable file name ({e.Message})");
        }
        string temporary = $"{full}{TemporaryMarker}{Environment.ProcessId}-{Guid.NewGuid():N}";
        bool renamed = false;
        try
        {
            Directory.CreateDirectory(directory);
            RemoveAbandonedTemporaries(full);
            if (Durability.FileSizeLimit() is { } limit && bytes.Length > limit)
                return Error.New($"{path}: cannot be written: the model file needs {bytes.Length:N0} bytes but this process may write files of " +
                                 $"at most {limit:N0} (the file-size limit, ulimit -f); any previous file there is unchanged");
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
            renamed = true;
            Durability.FlushDirectory(directory);
            return unit;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Any failure — a full disk, a file-size limit (EFBIG surfaces as ArgumentOutOfRangeException from
            // FileStream), a read-only directory — must leave the old file as it was and nothing beside it.
            if (!renamed) TryDelete(temporary);
            return Error.New(renamed
                ? $"{path}: written, but the directory could not be flushed to disk: {e.Message}"
                : $"{path}: cannot be written: {e.Message} (any previous file there is unchanged)");
        }
    }

    private const string TemporaryMarker = ".tmp-";

    /// <summary>Deletes "target.tmp-PID-…" files whose writing process no longer runs: the remains of a killed save.</summary>
    private static void RemoveAbandonedTemporaries(string target)
    {
        string prefix = Path.GetFileName(target) + TemporaryMarker;
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(Path.GetDirectoryName(target)!, prefix + "*");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var candidate in candidates)
        {
            var rest = Path.GetFileName(candidate).AsSpan(prefix.Length);
            int dash = rest.IndexOf('-');
            // A name without a process id is not ours to judge; one of a running process is a save in progress.
            if (dash <= 0 || !int.TryParse(rest[..dash], out int pid) || IsRunning(pid)) continue;
            TryDelete(candidate);
        }
    }

    private static bool IsRunning(int pid)
    {
        // This process's own temporaries belong to saves still running on other threads (a failed one removes its own).
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    // ---------------------------------------------------------------- reading

    /// <summary>The error for a file that does not start with the signature and version this reader knows, or null.</summary>
    private static Error? CheckSignature(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length == 0) return Error.New($"{name}: the file is empty (expected a Functional model file)");
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            bool prefix = bytes.Length < Magic.Length && Magic.AsSpan(0, bytes.Length).SequenceEqual(bytes);
            bool mangled = bytes.Length >= 4 && bytes[..4].SequenceEqual(Magic.AsSpan(0, 4));
            return Error.New(prefix ? $"{name}: truncated: the file ends after {bytes.Length} bytes, inside the 8-byte signature"
                : mangled ? $"{name}: the file starts like a Functional model but its line-ending bytes were changed (was it transferred as text?)"
                : $"{name}: not a Functional model file (it does not start with the model file signature)");
        }
        if (bytes.Length < Magic.Length + 4) return Error.New($"{name}: truncated: the file ends inside the version number");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[Magic.Length..]);
        if (version != Version)
            return Error.New($"{name}: model file format version {version}; this Functional reads version {Version}" +
                             (version > Version ? " (the file was written by a newer Functional)" : ""));
        return null;
    }

    private static Fin<Dictionary<string, byte[]>> ReadSections(ReadOnlySpan<byte> bytes, string name)
    {
        if (CheckSignature(bytes, name) is { } wrong) return wrong;

        var sections = new Dictionary<string, byte[]>();
        int position = Magic.Length + 4;
        while (true)
        {
            if (bytes.Length - position < SectionHeader)
                return Error.New($"{name}: truncated: the file ends at byte {bytes.Length:N0}, {(bytes.Length == position ? "before" : "inside")} " +
                                 $"the header of a section, without the END section that closes a complete file");
            string tag = Encoding.ASCII.GetString(bytes.Slice(position, 4));
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(position + 4)..]);
            if (!tag.All(c => c is >= ' ' and <= '~'))
                return Error.New($"{name}: corrupt: byte {position:N0} should start a section tag but holds non-text bytes");
            int start = position + SectionHeader;
            if (length > (ulong)(bytes.Length - start))
                return Error.New($"{name}: truncated: section {tag.Trim()} at byte {position:N0} says it holds {length:N0} bytes, but only {bytes.Length - start:N0} follow");
            var payload = bytes.Slice(start, (int)length);
            if (tag == End)
            {
                var expected = SHA256.HashData(bytes[..position]);
                if (!payload.SequenceEqual(expected))
                    return Error.New($"{name}: corrupt: the SHA-256 checksum in the END section does not match the file's contents");
                if (start + (int)length != bytes.Length)
                    return Error.New($"{name}: corrupt: {bytes.Length - start - (int)length:N0} bytes follow the END section");
                return sections;
            }
            if (sections.ContainsKey(tag)) return Error.New($"{name}: corrupt: section {tag.Trim()} appears twice");
            if (char.IsUpper(tag[0]) && tag is not (Head or Parameters or Buffers or Pipeline))
                return Error.New($"{name}: unknown required section {tag.Trim()} (written by a newer Functional?); " +
                                 "the model cannot be used without understanding it");
            // A lower-case first letter marks an ancillary section: kept for whoever understands it, skipped by Decode.
            sections[tag] = payload.ToArray();
            position = start + (int)length;
        }
    }

    private static Fin<Unit> CheckLayout(JsonNode? stored, NetworkLayout layout, string typeName, string name)
    {
        var expected = JsonSerializer.SerializeToNode(layout, Json)!;
        if (stored is null) return Error.New($"{name}: HEAD has no network layout");
        if (stored is not JsonObject) return Error.New($"{name}: HEAD's network layout is a JSON {Kind(stored)}, not an object");
        if (JsonNode.DeepEquals(stored, expected)) return unit;

        // Values are echoed in the message, so a crafted file cannot make it megabytes long.
        string Describe(JsonNode? n) => Clip(n?.ToJsonString() ?? "nothing");
        // A layer reads as "Hidden1 784→256"; when those agree, its parts or offsets differ (say, batch norm added).
        string Layer(JsonNode? n) => n is null ? "no layer" : Clip($"{Field(n, "name")} {Field(n, "inputs")}→{Field(n, "outputs")}");
        string storedName = Clip(Field(stored, "name") is JsonValue v && v.TryGetValue<string>(out var text) ? text : Field(stored, "name")?.ToJsonString() ?? "?");
        var differences = new List<string>();
        foreach (var key in new[] { "name", "inputs", "classes", "parameterCount", "bufferCount" })
            if (!JsonNode.DeepEquals(stored[key], expected[key]))
                differences.Add($"{key} {Describe(stored[key])} in the file, {Describe(expected[key])} in {typeName}");
        var storedLayers = stored["layers"] as JsonArray ?? [];
        var expectedLayers = expected["layers"] as JsonArray ?? [];
        var pairs = Enumerable.Range(0, Math.Max(storedLayers.Count, expectedLayers.Count))
            .Select(i => (Index: i, File: i < storedLayers.Count ? storedLayers[i] : null, Type: i < expectedLayers.Count ? expectedLayers[i] : null))
            .Where(p => !JsonNode.DeepEquals(p.File, p.Type))
            .ToList();
        var reshaped = pairs.Where(p => Layer(p.File) != Layer(p.Type)).ToList();
        // A changed shape moves every later offset; listing those moves would bury the change that caused them.
        if (reshaped.Count > 0)
            differences.AddRange(reshaped.Select(p => $"layer {p.Index + 1} is {Layer(p.File)} in the file, {Layer(p.Type)} in {typeName}"));
        else if (pairs.Count > 0)
        {
            // A convolution's geometry (kernel, stride, padding, pooling) can differ while its tensors' places agree: show what differs.
            string part = !JsonNode.DeepEquals(Field(pairs[0].File, "dense"), Field(pairs[0].Type, "dense")) ? "dense" : "convolution";
            var (inFile, inType) = (Field(pairs[0].File, part), Field(pairs[0].Type, part));
            // Name the fields that differ (a convolution's would not fit a clipped echo of the whole object).
            var keys = inType is JsonObject t && inFile is JsonObject f
                ? t.Select(kv => kv.Key).Union(f.Select(kv => kv.Key)).Where(k => !JsonNode.DeepEquals(f[k], t[k])).Take(4).ToList()
                : [];
            differences.Add($"layer {pairs[0].Index + 1} ({Layer(pairs[0].Type)}) is laid out differently: " + (keys.Count > 0
                ? string.Join(", ", keys.Select(k => $"{part} {Clip(k, 30)} {Describe(Field(inFile, k))} in the file, {Describe(Field(inType, k))} in {typeName}"))
                : $"{Describe(inFile)} in the file, {Describe(inType)} in {typeName}"));
        }
        return Error.New($"{name}: saved from network {storedName}, whose layout differs from {typeName}'s: " +
                         string.Join("; ", differences.DefaultIfEmpty("the layouts differ")));
    }

    /// <summary>At most about <paramref name="max"/> characters of <paramref name="text"/>, saying how long it was.</summary>
    private static string Clip(string text, int max = 80) => text.Length <= max ? text : $"{text[..(max - 20)]}… ({text.Length:N0} characters)";

    private static Fin<float[]> Floats(byte[] payload, int count, string tag, string name) =>
        payload.Length == 4L * count
            ? FloatsAny(payload, tag, name)
            : Error.New($"{name}: section {tag} holds {payload.Length:N0} bytes, but {count:N0} floats need {4L * count:N0}");

    internal static Fin<float[]> FloatsAny(byte[] payload, string tag, string name)
    {
        if (payload.Length % 4 != 0) return Error.New($"{name}: section {tag} holds {payload.Length:N0} bytes, not a whole number of floats");
        var values = new float[payload.Length / 4];
        if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(payload).CopyTo(values);
        else for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(payload.AsSpan(4 * i));
        int bad = Finite.IndexOfNonFinite(values);
        return bad < 0 ? values : Error.New($"{name}: section {tag} value {bad:N0} is {values[bad]}; a model holds finite numbers only");
    }

    private static Fin<TransformDescription> ParseDescription(JsonNode? node, float[] pool, string name, string where)
    {
        try
        {
            return Parse(node, pool, where);
        }
        // A crafted HEAD can hold any JSON where a string, number or object belongs; the node accessors say so by
        // throwing one of these, which becomes the error naming where in the pipeline it was.
        catch (Exception e) when (e is FormatException or InvalidOperationException or JsonException or ArgumentException or OverflowException)
        {
            return Error.New($"{name}: {Clip(e.Message, 400)}");
        }
    }

    private static TransformDescription Parse(JsonNode? node, float[] pool, string where)
    {
        if (node is not JsonObject o) throw new FormatException($"{where} is not a JSON object");
        string kind = Text(o["kind"], $"{where}: kind");
        var settings = new Dictionary<string, string>();
        if (o["settings"] is JsonObject s)
            foreach (var (key, value) in s) settings[key] = Text(value, $"{where}: setting {Clip(key)}");
        var arrays = new Dictionary<string, float[]>();
        if (o["arrays"] is JsonObject a)
            foreach (var (key, value) in a)
            {
                if (value is not JsonObject) throw new FormatException($"{where}: array {Clip(key)} should be an object with an offset and a length, not {Kind(value)}");
                long offset = Whole(Field(value, "offset"), $"{where}: array {Clip(key)}'s offset");
                long length = Whole(Field(value, "length"), $"{where}: array {Clip(key)}'s length");
                // offset + length could overflow; compare without adding.
                if (offset < 0 || length < 0 || offset > pool.Length || length > pool.Length - offset)
                    throw new FormatException($"{where}: array {key} at {offset} of length {length} lies outside the PIPE section's {pool.Length:N0} floats");
                arrays[key] = pool.AsSpan((int)offset, (int)length).ToArray();
            }
        var parts = new List<TransformDescription>();
        if (o["parts"] is JsonArray p)
            for (int i = 0; i < p.Count; i++) parts.Add(Parse(p[i], pool, $"{where}, step {i + 1}"));
        return new TransformDescription(kind, settings, arrays) { Parts = parts };
    }

    internal static string Text(JsonNode? node, string what) =>
        node is JsonValue v && v.TryGetValue<string>(out var text) ? text : throw new FormatException($"{what} should be a string, not {Kind(node)}");

    internal static long Whole(JsonNode? node, string what) =>
        node is JsonValue v && v.TryGetValue<long>(out var number) ? number : throw new FormatException($"{what} should be a whole number, not {Kind(node)}");
}

// What a study is: its space, stages, seed, pruner, narrowing and the fixed settings its trials need, as one JSON document every worker reads from the storage.
using System.Text.Json.Nodes;

namespace Functional.Search;

/// <summary>
/// A study's definition: the search space, the stages (coarse → fine), the seed every trial's hyperparameters are drawn
/// with, the pruner (none by default), how the next stage narrows, and <paramref name="Settings"/>: the fixed choices a
/// trial function needs besides its hyperparameters (data, batch size, number of folds…), so a worker on another
/// machine needs only the storage and the study's name. Stored as JSON; a study reopened with another definition is refused.
/// </summary>
public sealed record StudyDefinition(SearchSpace Space, IReadOnlyList<Stage> Stages, long Seed = 1, Pruner? Pruner = null,
    Narrowing? Narrowing = null, IReadOnlyDictionary<string, string>? Settings = null)
{
    /// <summary>The stages, at least one, with distinct names.</summary>
    public IReadOnlyList<Stage> Stages { get; init; } = Stages is { Count: > 0 } && Stages.Select(s => s.Name).Distinct().Count() == Stages.Count
        ? Stages : throw new ArgumentException(Stages is { Count: > 0 } ? "two stages share a name" : "a study needs at least one stage");

    /// <summary>How each stage after the first narrows its ranges when it is given none.</summary>
    public Narrowing Narrowing { get; init; } = Narrowing ?? new Narrowing();

    /// <summary>Fixed settings for the trial function, by name (empty by default).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = Settings ?? new Dictionary<string, string>();

    /// <summary>
    /// Checks that every stage's own space, if it has one, has the study's dimension names (an unknown name is an error
    /// here rather than in a trial an hour later).
    /// </summary>
    public StudyDefinition Validate()
    {
        foreach (var stage in Stages.Where(s => s.Space is not null))
        {
            foreach (var d in stage.Space!.Dimensions) _ = Space[d.Name];
            foreach (var d in Space.Dimensions)
                if (!stage.Space.Dimensions.Any(s => s.Name == d.Name))
                    throw new ArgumentException($"stage {stage.Name}: its space has no \"{d.Name}\", which the study's has");
        }
        return this;
    }

    /// <summary>The definition as one JSON document, the same text for the same definition (what a reopened study is compared by).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["space"] = Space.ToJson(),
            ["stages"] = new JsonArray([.. Stages.Select(s => (JsonNode)s.ToJson())]),
            ["seed"] = Seed,
            ["narrowing"] = new JsonObject { ["top"] = Narrowing.Top, ["widen"] = Narrowing.Widen, ["minimumWidth"] = Narrowing.MinimumWidth },
        };
        if (Pruner is not null) o["pruner"] = Pruner.ToJson();
        var settings = new JsonObject();
        foreach (var (key, value) in Settings.OrderBy(p => p.Key, StringComparer.Ordinal)) settings[key] = value;
        o["settings"] = settings;
        return o.ToJsonString();
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote, checking every bound again.</summary>
    public static StudyDefinition FromJson(string json)
    {
        var o = JsonNode.Parse(json) ?? throw new FormatException("the study definition is empty");
        var n = o["narrowing"]!;
        // Until the count was explicit, "top" was a share of the trials with a "minimumTop" count beside it.
        if (n["minimumTop"] is not null)
            throw new FormatException("the study was stored by an older version (narrowing by a share of the trials, not a count); start it under a new --study name");
        return new StudyDefinition(
            SearchSpace.FromJson(o["space"]!),
            [.. o["stages"]!.AsArray().Select(s => Stage.FromJson(s!))],
            (long)o["seed"]!,
            Pruner.FromJson(o["pruner"]),
            new Narrowing((int)n["top"]!, (double)n["widen"]!, (double)n["minimumWidth"]!),
            o["settings"]?.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!)).Validate();
    }

    /// <summary>The setting <paramref name="name"/>; throws naming the settings there are when it is missing.</summary>
    public string Setting(string name) => Settings.TryGetValue(name, out var v) ? v
        : throw new KeyNotFoundException($"the study has no setting \"{name}\" (it has {(Settings.Count == 0 ? "none" : string.Join(", ", Settings.Keys))})");
}

/// <summary>A stage as added to a study: its position, its definition and the ranges it actually searched (narrowed or given).</summary>
public sealed record ResolvedStage(int Index, Stage Stage, SearchSpace Space)
{
    internal string ToJson() => new JsonObject
    {
        ["index"] = Index, ["name"] = Stage.Name, ["trials"] = Stage.Trials, ["epochs"] = Stage.Epochs, ["space"] = Space.ToJson(), ["top"] = Stage.Top,
    }.ToJsonString();

    internal static ResolvedStage FromJson(string json)
    {
        var o = JsonNode.Parse(json)!;
        var space = SearchSpace.FromJson(o["space"]!);
        return new((int)o["index"]!, new Stage((string)o["name"]!, (int)o["trials"]!, (int)o["epochs"]!, space, (int?)o["top"]), space);
    }
}

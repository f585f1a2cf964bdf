// Checks a path a data reader was given before it is opened, so an empty, missing or wrong-kind path gets an error that says which.
namespace Functional.Data;

internal static class DataPaths
{
    /// <summary>
    /// What is wrong with <paramref name="path"/> as a file to read (<paramref name="kind"/>: "an IDX file"), or null when
    /// it names an existing file. An empty path must be called empty: "{path}: file not found" would then name nothing.
    /// </summary>
    public static string? FileProblem(string? path, string kind) =>
        Blank(path, "file", kind)
        ?? (Directory.Exists(path) ? $"{path}: is a directory, not {kind}"
            : !File.Exists(path) ? $"{path}: file not found"
            : null);

    /// <summary>What is wrong with <paramref name="path"/> as the name of a directory, before anything looks inside it; null when it is usable.</summary>
    public static string? DirectoryNameProblem(string? path, string kind) => Blank(path, "directory", kind);

    private static string? Blank(string? path, string noun, string kind) =>
        path is null ? $"no {noun} name given (the path is null; expected {kind})"
        : path.Length == 0 ? $"no {noun} name given (the path is empty; expected {kind})"
        : string.IsNullOrWhiteSpace(path) ? $"no {noun} name given (the path \"{path}\" is only white space; expected {kind})"
        : null;
}

// Output folders for tests, under the test binaries and named by test, so a person can open what a test produced.
namespace Functional.Monitoring.Tests;

public static class Folders
{
    /// <summary>An empty folder bin/…/output/<paramref name="name"/> (emptied if it exists).</summary>
    public static string Fresh(string name)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "output", name);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        return folder;
    }
}

// Runs the initialisation experiment, prints the per-layer statistics and writes PNG plots of them.
using System.CommandLine;
using InitExperiment;

var folder = new Argument<DirectoryInfo>("folder") { Description = "Directory the PNG plots are written into (created if missing)", DefaultValueFactory = _ => new DirectoryInfo("init-experiment") };
// A name like "--hepl" is a mistyped option, not a folder to create.
folder.Validators.Add(result =>
{
    if (result.Tokens.Count > 0 && result.Tokens[0].Value.StartsWith('-'))
        result.AddError($"{folder.Name} must be a directory name, not an option, got {result.Tokens[0].Value}");
});

var root = new RootCommand("The lecture's initialisation experiment: per-layer activation statistics of 10-layer tanh/ReLU nets under each initialisation, printed and plotted to PNG. " + ExitCode.Help)
{
    folder,
};
root.SetAction(parse =>
{
    var directory = parse.GetValue(folder)!;
    directory.Create();
    var cases = Experiment.Run();
    foreach (var c in cases)
    {
        Console.WriteLine(c.Name);
        foreach (var l in c.Layers)
            Console.WriteLine($"  {l.Layer,-4} mean {l.Mean,10:F5}  std {l.Std,10:G4}  saturated {(l.Saturated is { } sat ? sat.ToString("P1") : "–"),6}  |y|<1e-3 {l.Zero,6:P1}");
    }
    foreach (var file in Plots.Write(cases, directory.FullName)) Console.WriteLine($"wrote {file}");
    return ExitCode.Ok;
});
return Cli.Invoke(root, args);

// Runs the initialisation experiment, prints the per-layer statistics and writes PNG plots of them.
using InitExperiment;

string folder = args.Length > 0 ? args[0] : "init-experiment";
Directory.CreateDirectory(folder);
var cases = Experiment.Run();
foreach (var c in cases)
{
    Console.WriteLine(c.Name);
    foreach (var l in c.Layers)
        Console.WriteLine($"  {l.Layer,-4} mean {l.Mean,10:F5}  std {l.Std,10:G4}  saturated {(l.Saturated is { } sat ? sat.ToString("P1") : "–"),6}  |y|<1e-3 {l.Zero,6:P1}");
}
foreach (var file in Plots.Write(cases, folder)) Console.WriteLine($"wrote {file}");

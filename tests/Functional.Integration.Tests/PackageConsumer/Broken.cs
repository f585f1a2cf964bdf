// A malformed network the packed generator must refuse at build time (FN0002: a width of 0), added by PackageTests after the good build.
using Functional;
using Functional.Dsl;

[Network(Inputs = 2)]
public sealed partial record Broken(
    [Dense(0), SoftmaxCrossEntropy] Dense Scores);

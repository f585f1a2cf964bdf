// Finite.IndexOfNonFinite's eight-wide scan against the one-by-one definition, at every length and position of a bad value.
using Functional.Data;

namespace Functional.Tests.Data;

public sealed class FiniteTests
{
    private static int OneByOne(float[] values) => Array.FindIndex(values, v => !float.IsFinite(v));

    public static TheoryData<float> Bad => new() { float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC0_0001u)) };

    [Theory]
    [MemberData(nameof(Bad))]
    public void Finds_the_first_bad_value_at_every_position_of_every_length_up_to_40(float bad)
    {
        // Finite values whose bits come close to the exponent mask: the largest floats, subnormals, −0.
        float[] edges = [float.MaxValue, -float.MaxValue, float.Epsilon, -float.Epsilon, -0f, 1f, BitConverter.Int32BitsToSingle(0x7F7F_FFFF)];
        for (int length = 0; length <= 40; length++)
        {
            var values = Enumerable.Range(0, length).Select(i => edges[i % edges.Length]).ToArray();
            Assert.Equal(-1, Finite.IndexOfNonFinite(values));
            for (int at = 0; at < length; at++)
            {
                var one = (float[])values.Clone();
                one[at] = bad;
                Assert.Equal(at, Finite.IndexOfNonFinite(one));
                // A second bad value later does not move the answer.
                if (at + 3 < length) one[at + 3] = float.NaN;
                Assert.Equal(OneByOne(one), Finite.IndexOfNonFinite(one));
            }
        }
    }

    [Fact]
    public void A_transformed_data_set_names_the_row_and_feature_of_a_bad_value()
    {
        var data = Dataset.Create("d", new float[1000 * 7], new int[1000], 7, 2).ThrowIfFail();
        var features = new float[1000 * 7];
        features[613 * 7 + 5] = float.PositiveInfinity;
        var error = Assert.Throws<ArgumentException>(() => data.WithFeatures(features));
        Assert.StartsWith($"d: transformed row 613, feature 5 is {float.PositiveInfinity}", error.Message);
    }
}

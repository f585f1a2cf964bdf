// The storage contract's error type reads well: it names the study and the difference, and says what to do.
using Functional.Search.Storage;

namespace Functional.Search.Tests;

public sealed class StorageContractTests
{
    [Fact]
    public void A_mismatched_study_names_itself_the_difference_and_the_remedy()
    {
        var e = new StudyMismatchException("first", "lr 1e-4..1 now, 1e-3..1 stored");
        Assert.Equal("study \"first\" exists with another definition (lr 1e-4..1 now, 1e-3..1 stored); use another --study name or the same space", e.Message);
    }
}

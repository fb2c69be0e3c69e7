namespace Pipeline.Tests.Infrastructure;

public sealed class SharedDataTests
{
    [Fact]
    public void RepoRootHoldsTheSolution()
    {
        Assert.True(File.Exists(Path.Combine(SharedData.RepoRoot, "Pipeline.sln")));
    }

    [Fact]
    public void SharedReadmeIsReadableInPlace()
    {
        string readme = SharedData.Require("README.md");
        Assert.Contains("shared/", File.ReadAllText(readme));
    }
}

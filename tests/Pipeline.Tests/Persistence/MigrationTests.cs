using System.Text.Json.Nodes;
using Pipeline.Persistence;

namespace Pipeline.Tests.Persistence;

/// <summary>The migration hook: a reader whose current version is newer loads older files through the upgrade chain.</summary>
public sealed class MigrationTests
{
    [Fact]
    public void AnOlderVersionLoadsThroughTheMigrationChain()
    {
        byte[] version1 = PackageSamples.Save(PackageSamples.Referenced());
        var calls = new List<int>();
        Action<JsonObject> oneToTwo = root =>
        {
            calls.Add(root["formatVersion"]!.GetValue<int>());
            root["metrics"] = new JsonObject { ["migratedFrom"] = 1 };
        };

        ModelPackage loaded = ModelPackage.Read(new MemoryStream(version1), ModelPackageLimits.Default, [oneToTwo], currentVersion: 2);
        Assert.Equal([1], calls);
        Assert.Equal(1, loaded.FormatVersion);
        Assert.Equal(1, loaded.Metrics!.Value.GetProperty("migratedFrom").GetInt32());
        Assert.Equal(["cat", "dog"], loaded.Labels);
    }

    [Fact]
    public void AFailingMigrationIsATypedError()
    {
        byte[] version1 = PackageSamples.Save(PackageSamples.Referenced());
        Action<JsonObject> broken = _ => throw new InvalidOperationException("field 'x' missing");
        var e = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Read(new MemoryStream(version1), ModelPackageLimits.Default, [broken], currentVersion: 2));
        Assert.Contains("could not upgrade the manifest from format version 1 to 2", e.Reason);
    }
}

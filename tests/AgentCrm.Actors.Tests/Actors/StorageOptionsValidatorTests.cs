using AgentCrm.Storage;

namespace AgentCrm.Actors.Tests.Actors;

public sealed class StorageOptionsValidatorTests
{
    [Fact]
    public void TheDefaults_AreValid() =>
        Assert.True(new StorageOptionsValidator().Validate(null, new StorageOptions()).Succeeded);

    [Theory]
    [InlineData(0, 4096, "Storage:MaxWalBytes")]
    [InlineData(1024, 4096, "Storage:MaxWalBytes")]
    [InlineData(StorageOptions.DefaultMaxWalBytes, 0, "Storage:MaxBatch")]
    public void OutOfRangeSettings_AreRefused_NamingTheKeyToSet(long maxWalBytes, int maxBatch, string key)
    {
        var result = new StorageOptionsValidator().Validate(null, new StorageOptions { MaxWalBytes = maxWalBytes, MaxBatch = maxBatch });

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }
}

using System.Buffers.Binary;
using System.Net;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using AgentCrm.Agents;
using AgentCrm.Agents.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Plugins;

/// <summary>A plugin built against another major version of the contract is refused at upload, not registered to fail on every call.</summary>
public sealed class PluginContractVersionTests
{
    private static readonly Version Server = typeof(IAgentKind).Assembly.GetName().Version!;

    public static TheoryData<int, int> Incompatible => new()
    {
        { Server.Major + 8, 0 },
        { Server.Major - 1, Server.Minor + 3 },
        { Server.Major, Server.Minor + 1 },
    };

    [Theory]
    [MemberData(nameof(Incompatible))]
    public async Task Upload_BuiltAgainstAnotherMajorOrANewerMinor_Is400NamingTheReferenceAndBothVersions_NothingRegistered(int major, int minor)
    {
        await using var app = await AgentCrmApp.StartAsync();
        var referenced = new Version(major, minor, 0, 0);
        var bytes = WithContractVersion(File.ReadAllBytes(PluginTests.PluginPath), referenced);

        var (status, body) = await PluginTests.UploadAsync(app, PluginTests.TicketSurge(), bytes);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = body.GetProperty("errors").GetProperty("assembly")[0].GetString()!;
        Assert.StartsWith($"AgentCrm.SamplePlugin references AgentCrm.Agents.Contract {referenced}; this server has AgentCrm.Agents.Contract {Server}.", error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/ticket-surge")).StatusCode);
        Assert.Empty(app.Services.GetRequiredService<PluginKind>().Loaded);
    }

    [Fact]
    public async Task Upload_BuiltAgainstTheSameMajorAndMinor_OtherBuild_IsRegistered()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var bytes = WithContractVersion(File.ReadAllBytes(PluginTests.PluginPath), new Version(Server.Major, Server.Minor, Server.Build + 7, 3));

        var (status, body) = await PluginTests.UploadAsync(app, PluginTests.TicketSurge(), bytes);

        Assert.True(status == HttpStatusCode.Created, body.ToString());
    }

    /// <summary>The assembly with its AssemblyRef row for the contract set to <paramref name="version"/>, as if compiled against it.</summary>
    private static byte[] WithContractVersion(byte[] image, Version version)
    {
        var patched = (byte[])image.Clone();
        using var pe = new PEReader(new MemoryStream(image));
        var metadata = pe.GetMetadataReader();
        var handle = metadata.AssemblyReferences.Single(h => metadata.GetString(metadata.GetAssemblyReference(h).Name) == "AgentCrm.Agents.Contract");
        // An AssemblyRef row starts with MajorVersion, MinorVersion, BuildNumber, RevisionNumber (ECMA-335 §II.22.5), two bytes each.
        var row = pe.PEHeaders.MetadataStartOffset + metadata.GetTableMetadataOffset(TableIndex.AssemblyRef)
            + (MetadataTokens.GetRowNumber(handle) - 1) * metadata.GetTableRowSize(TableIndex.AssemblyRef);
        var parts = new[] { version.Major, version.Minor, version.Build, version.Revision };
        for (var i = 0; i < 4; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(patched.AsSpan(row + 2 * i), checked((ushort)parts[i]));
        using var check = new PEReader(new MemoryStream(patched));
        var reread = check.GetMetadataReader();
        Assert.Equal(version, reread.GetAssemblyReference(handle).Version);
        return patched;
    }
}

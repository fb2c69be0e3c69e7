using System.Diagnostics;

namespace Pipeline.Tests.Featurizers;

/// <summary>
/// Runs one test method of this assembly in a child process (the xunit v3 test assembly is an executable that accepts
/// <c>-method</c>), for tests that need real separate processes sharing a folder: file locks and renames behave
/// differently across processes than across threads. Worker methods skip unless their environment variable is set.
/// </summary>
internal static class CrossProcess
{
    /// <param name="testMethod">The worker method's name.</param>
    /// <param name="environment">Variables for the child.</param>
    /// <param name="runtimeConfig">A runtimeconfig.json for the child instead of the assembly's own (e.g. other AppContext switches).</param>
    public static Process Start(string testMethod, IReadOnlyDictionary<string, string> environment, string? runtimeConfig = null)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (runtimeConfig is not null)
        {
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add("--runtimeconfig");
            start.ArgumentList.Add(runtimeConfig);
        }
        start.ArgumentList.Add(typeof(CrossProcess).Assembly.Location);
        start.ArgumentList.Add("-method");
        start.ArgumentList.Add(testMethod);
        foreach ((string name, string value) in environment) start.Environment[name] = value;
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the child process");
    }

    /// <summary>Waits for <paramref name="child"/>; fails the test with its output if it fails or exceeds the time limit.</summary>
    public static async Task ExpectSuccessAsync(Process child, TimeSpan limit)
    {
        Task<string> output = child.StandardOutput.ReadToEndAsync();
        Task<string> error = child.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await child.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            Assert.Fail($"child process {child.Id} ran over {limit.TotalSeconds:0} s");
        }
        string text = await output + await error;
        Assert.True(child.ExitCode == 0, $"child process exited with {child.ExitCode}:\n{text}");
        Assert.Contains("Failed: 0", text);
        Assert.Contains("Skipped: 0", text);
    }
}

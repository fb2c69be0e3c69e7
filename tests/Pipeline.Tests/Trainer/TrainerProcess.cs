using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pipeline.Tests.Trainer;

/// <summary>
/// The built trainer (Trainer.dll, copied beside the tests) run as a child process, for what only a real process shows:
/// how it answers a signal. Disposing kills it if it is still running.
/// </summary>
internal sealed partial class TrainerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _output, _error;

    private TrainerProcess(Process process)
    {
        _process = process;
        _output = process.StandardOutput.ReadToEndAsync();
        _error = process.StandardError.ReadToEndAsync();
    }

    public static TrainerProcess Start(params string[] args)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Trainer.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        return new TrainerProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start the trainer"));
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails the test with the trainer's output if it exits first or <paramref name="limit"/> passes.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process.HasExited) Assert.Fail($"the trainer exited with {_process.ExitCode} before {what}:\n{await _output}\n{await _error}");
            if (clock.Elapsed > limit) Assert.Fail($"no sign of {what} after {limit.TotalSeconds:0} s");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Sends <paramref name="signal"/> (2 SIGINT, 15 SIGTERM) with kill(2): Process.Kill would send SIGKILL, which cannot be handled.</summary>
    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0) throw new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// True when this process ignores <paramref name="signal"/> (SIG_IGN), as a shell without job control (a script,
    /// <c>cmd &amp;</c> in a subshell) leaves SIGINT and SIGQUIT for the jobs it starts in the background. The trainer
    /// inherits that across fork and exec, and the runtime keeps an inherited SIG_IGN (background jobs are meant to
    /// survive a Ctrl-C), so such a signal sent to it is dropped by the kernel and its handler never runs.
    /// </summary>
    public static unsafe bool IgnoredHere(int signal)
    {
        // The handler is the first field of struct sigaction on glibc, musl and macOS; 256 bytes hold the whole struct.
        byte* previous = stackalloc byte[256];
        if (sigaction(signal, null, previous) != 0) throw new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError());
        return *(nint*)previous == SigIgn;
    }

    private const nint SigIgn = 1;

    /// <summary>The exit code and the output, once the trainer has exited; fails the test if that takes over <paramref name="limit"/>.</summary>
    public async Task<(int Exit, string Out, string Err)> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the trainer was still running {limit.TotalSeconds:0} s after the signal");
        }
        return (_process.ExitCode, await _output, await _error);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static unsafe partial int sigaction(int signal, void* action, void* previous);
}

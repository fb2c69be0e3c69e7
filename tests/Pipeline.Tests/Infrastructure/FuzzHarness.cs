using System.Diagnostics;
using System.Security.Cryptography;

namespace Pipeline.Tests.Infrastructure;

/// <summary>
/// Runs a parser over many mutated inputs on a watchdog thread. Each case must either succeed or throw the boundary's
/// typed exception; any other exception, or a case running longer than the time bound, fails the run and saves the
/// offending input (under the test output folder) so it can join the regression corpus.
/// The case budget defaults to <paramref name="defaultCases"/>; PIPELINE_FUZZ_CASES overrides it for long runs.
/// </summary>
internal static class FuzzHarness
{
    public sealed record Result(int Cases, int Succeeded, int Rejected, TimeSpan Slowest, long PeakAllocatedBytes);

    public static Result Run<TException>(IReadOnlyList<byte[]> seeds, Action<byte[]> parse, int seed, int defaultCases,
        TimeSpan perCaseLimit, string name) where TException : Exception
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("PIPELINE_FUZZ_CASES"), out int n) && n > 0 ? n : defaultCases;
        var mutator = new Mutator(seed);
        int succeeded = 0, rejected = 0;
        TimeSpan slowest = TimeSpan.Zero;
        long peak = 0;
        byte[]? current = null;
        Exception? failure = null;
        long started = 0;
        int finished = 0;

        var worker = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < cases; i++)
                {
                    byte[] input = mutator.Mutate(seeds[i % seeds.Count]);
                    Volatile.Write(ref current, input);
                    Volatile.Write(ref started, Stopwatch.GetTimestamp());
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    try
                    {
                        parse(input);
                        succeeded++;
                    }
                    catch (TException)
                    {
                        rejected++;
                    }
                    TimeSpan took = Stopwatch.GetElapsedTime(Volatile.Read(ref started));
                    if (took > slowest) slowest = took;
                    peak = Math.Max(peak, GC.GetAllocatedBytesForCurrentThread() - before);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                Volatile.Write(ref finished, 1);
            }
        }, maxStackSize: 16 * 1024 * 1024) { IsBackground = true, Name = $"fuzz {name}" };
        worker.Start();

        while (Volatile.Read(ref finished) == 0)
        {
            Thread.Sleep(20);
            long start = Volatile.Read(ref started);
            if (start != 0 && Volatile.Read(ref finished) == 0 && Stopwatch.GetElapsedTime(start) > perCaseLimit * 4)
            {
                string saved = Save(name, Volatile.Read(ref current)!);
                Assert.Fail($"{name}: a case ran longer than {perCaseLimit.TotalSeconds * 4:0.#} s (hang?); input saved to {saved}");
            }
        }
        if (failure is not null)
        {
            string saved = Save(name, Volatile.Read(ref current)!);
            Assert.Fail($"{name}: untyped {failure.GetType().Name} ({failure.Message}); input saved to {saved}\n{failure}");
        }
        Assert.True(slowest <= perCaseLimit, $"{name}: slowest case took {slowest.TotalMilliseconds:0} ms, over the {perCaseLimit.TotalMilliseconds:0} ms bound");
        return new Result(cases, succeeded, rejected, slowest, peak);
    }

    private static string Save(string name, byte[] input)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "fuzz-failures", name);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, Convert.ToHexString(SHA256.HashData(input))[..16] + ".bin");
        File.WriteAllBytes(path, input);
        return path;
    }
}

using Pipeline.Imaging.Webp;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// The two-level prefix code tables against the naive definition: canonical codes assigned by length then symbol, sent
/// most significant bit first. Random complete codes of up to 15 bits over alphabets of 2 to 2328 symbols decode every
/// symbol back; empty, over-subscribed and incomplete codes are refused; a single used symbol costs no bits.
/// </summary>
public sealed class Vp8LHuffmanTests
{
    [Theory]
    [InlineData(2, 1)]
    [InlineData(19, 2)]
    [InlineData(40, 3)]
    [InlineData(256, 4)]
    [InlineData(280, 5)]
    [InlineData(2328, 6)]
    public void RandomCompleteCodesDecodeEverySymbol(int alphabet, int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 20; round++)
        {
            byte[] lengths = RandomCompleteCode(random, alphabet);
            int size = Vp8LHuffman.TableSize(lengths);
            Assert.True(size >= 256, $"round {round}: a complete code was refused");
            var table = new uint[size];
            Vp8LHuffman.Build(lengths, table);

            int[] used = Enumerable.Range(0, alphabet).Where(s => lengths[s] != 0).ToArray();
            int[] message = Enumerable.Range(0, 500).Select(_ => used[random.Next(used.Length)]).ToArray();
            int[] codes = Canonical(lengths);
            var writer = new WebpFiles.BitWriter();
            foreach (int symbol in message)
            {
                for (int i = lengths[symbol] - 1; i >= 0; i--) writer.Write((uint)(codes[symbol] >> i) & 1, 1);
            }
            byte[] stream = writer.ToArray();
            var reader = new Vp8LBitReader(stream, 0, stream.Length);
            foreach (int symbol in message) Assert.Equal(symbol, Vp8LHuffman.ReadSymbol(table, 0, ref reader));
            Assert.False(reader.IsPastEnd);
        }
    }

    [Fact]
    public void OneUsedSymbolTakesNoBits()
    {
        var lengths = new byte[40];
        lengths[17] = 3; // any length: the only symbol is sent with zero bits, as libwebp does
        var table = new uint[Vp8LHuffman.TableSize(lengths)];
        Vp8LHuffman.Build(lengths, table);
        byte[] stream = [0xFF];
        var reader = new Vp8LBitReader(stream, 0, 1);
        for (int i = 0; i < 100; i++) Assert.Equal(17, Vp8LHuffman.ReadSymbol(table, 0, ref reader));
        Assert.Equal(0xFFu, reader.ReadBits(8));
    }

    [Fact]
    public void OneAndTwoSymbolTablesMatchTheGeneralConstruction()
    {
        var random = new Random(7);
        for (int round = 0; round < 200; round++)
        {
            int alphabet = round % 2 == 0 ? 256 : 2328;
            int a = random.Next(alphabet), b = random.Next(alphabet - 1);
            if (b >= a) b++;
            var lengths = new byte[alphabet];
            lengths[a] = (byte)(1 + random.Next(15)); // one symbol: any length, zero bits
            var expected = new uint[Vp8LHuffman.TableSize(lengths)];
            Vp8LHuffman.Build(lengths, expected);
            var actual = new uint[Vp8LHuffman.RootSize];
            Vp8LHuffman.BuildOneSymbol(a, actual);
            Assert.Equal(expected, actual);
            Assert.Equal(Vp8LHuffman.RootSize, Vp8LHuffman.TableSize(lengths, out int only));
            Assert.Equal(a, only);

            lengths[a] = lengths[b] = 1;
            expected = new uint[Vp8LHuffman.TableSize(lengths, out only)];
            Assert.Equal(-1, only);
            Vp8LHuffman.Build(lengths, expected);
            Vp8LHuffman.BuildTwoSymbols(a, b, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 })]             // empty
    [InlineData(new byte[] { 1, 1, 1 })]             // over-subscribed
    [InlineData(new byte[] { 1, 2 })]                // incomplete
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 })] // one 15-bit code short
    public void InvalidCodesAreRefused(byte[] lengths) => Assert.Equal(0, Vp8LHuffman.TableSize(lengths));

    // Lengths from a Huffman tree over random, very uneven weights, redrawn until no code is longer than 15 bits.
    private static byte[] RandomCompleteCode(Random random, int alphabet)
    {
        while (true)
        {
            int used = Math.Min(alphabet, 2 + random.Next(alphabet - 1));
            int[] symbols = Enumerable.Range(0, alphabet).OrderBy(_ => random.Next()).Take(used).ToArray();
            var queue = new PriorityQueue<List<int>, double>();
            foreach (int s in symbols) queue.Enqueue([s], Math.Pow(random.NextDouble(), 6) + 1e-9);
            var lengths = new int[alphabet];
            while (queue.Count > 1)
            {
                queue.TryDequeue(out List<int>? a, out double wa);
                queue.TryDequeue(out List<int>? b, out double wb);
                foreach (int s in a!.Concat(b!)) lengths[s]++;
                queue.Enqueue([.. a!, .. b!], wa + wb);
            }
            if (lengths.Max() <= 15) return lengths.Select(l => (byte)l).ToArray();
        }
    }

    private static int[] Canonical(byte[] lengths)
    {
        var codes = new int[lengths.Length];
        int code = 0;
        for (int length = 1; length <= 15; length++)
        {
            for (int s = 0; s < lengths.Length; s++)
            {
                if (lengths[s] == length) codes[s] = code++;
            }
            code <<= 1;
        }
        return codes;
    }
}

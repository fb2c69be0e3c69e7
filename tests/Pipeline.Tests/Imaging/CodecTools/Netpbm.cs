using System.Text;

namespace Pipeline.Tests.Imaging.CodecTools;

/// <summary>A netpbm image: the samples of a PGM, PPM or PAM file, row-major, channels interleaved.</summary>
internal sealed record PnmImage(int Width, int Height, int Channels, int MaxValue, ushort[] Samples)
{
    /// <summary>Writes a binary PGM (1 channel) or PPM (3 channels).</summary>
    public void WritePnm(string path)
    {
        if (Channels is not (1 or 3)) throw new InvalidOperationException("PGM/PPM hold 1 or 3 channels");
        using var file = File.Create(path);
        file.Write(Encoding.ASCII.GetBytes($"{(Channels == 1 ? "P5" : "P6")}\n{Width} {Height}\n{MaxValue}\n"));
        file.Write(SampleBytes());
    }

    /// <summary>Writes a PAM with the given tuple type.</summary>
    public void WritePam(string path, string tupleType)
    {
        using var file = File.Create(path);
        file.Write(Encoding.ASCII.GetBytes($"P7\nWIDTH {Width}\nHEIGHT {Height}\nDEPTH {Channels}\nMAXVAL {MaxValue}\nTUPLTYPE {tupleType}\nENDHDR\n"));
        file.Write(SampleBytes());
    }

    /// <summary>One channel of this image as a PGM-ready image.</summary>
    public PnmImage Channel(int c)
    {
        var samples = new ushort[Width * Height];
        for (int i = 0; i < samples.Length; i++) samples[i] = Samples[i * Channels + c];
        return new PnmImage(Width, Height, 1, MaxValue, samples);
    }

    private byte[] SampleBytes()
    {
        bool wide = MaxValue > 255;
        var bytes = new byte[Samples.Length * (wide ? 2 : 1)];
        for (int i = 0; i < Samples.Length; i++)
        {
            if (wide) { bytes[2 * i] = (byte)(Samples[i] >> 8); bytes[2 * i + 1] = (byte)Samples[i]; }
            else bytes[i] = (byte)Samples[i];
        }
        return bytes;
    }

    /// <summary>Parses a binary PAM (P7), PGM (P5) or PPM (P6).</summary>
    public static PnmImage Parse(byte[] data)
    {
        int pos = 0;
        string magic = Token(data, ref pos);
        int width, height, channels, maxValue;
        if (magic == "P7")
        {
            width = height = channels = maxValue = 0;
            while (true)
            {
                string key = Token(data, ref pos);
                if (key == "ENDHDR") break;
                if (key == "TUPLTYPE") { Token(data, ref pos); continue; }
                int value = int.Parse(Token(data, ref pos));
                switch (key)
                {
                    case "WIDTH": width = value; break;
                    case "HEIGHT": height = value; break;
                    case "DEPTH": channels = value; break;
                    case "MAXVAL": maxValue = value; break;
                }
            }
        }
        else if (magic is "P5" or "P6")
        {
            width = int.Parse(Token(data, ref pos));
            height = int.Parse(Token(data, ref pos));
            maxValue = int.Parse(Token(data, ref pos));
            channels = magic == "P5" ? 1 : 3;
        }
        else
        {
            throw new InvalidDataException($"not a binary netpbm image: {magic}");
        }
        pos++; // the single whitespace byte after the header
        bool wide = maxValue > 255;
        var samples = new ushort[width * height * channels];
        for (int i = 0; i < samples.Length; i++)
            samples[i] = wide ? (ushort)(data[pos + 2 * i] << 8 | data[pos + 2 * i + 1]) : data[pos + i];
        return new PnmImage(width, height, channels, maxValue, samples);
    }

    private static string Token(byte[] data, ref int pos)
    {
        while (true)
        {
            while (pos < data.Length && char.IsWhiteSpace((char)data[pos])) pos++;
            if (pos < data.Length && data[pos] == '#')
            {
                while (pos < data.Length && data[pos] != '\n') pos++;
                continue;
            }
            break;
        }
        int start = pos;
        while (pos < data.Length && !char.IsWhiteSpace((char)data[pos])) pos++;
        return Encoding.ASCII.GetString(data, start, pos - start);
    }
}

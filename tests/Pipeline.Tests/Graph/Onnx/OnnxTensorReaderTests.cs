using Google.Protobuf;
using Pipeline.Graph;
using Pipeline.Graph.Onnx;
using Pipeline.Graph.Onnx.Proto;
using Pipeline.Tensors;

namespace Pipeline.Tests.Graph.Onnx;

/// <summary>TensorProto → Tensor: every data field, raw little-endian, sub-byte packing, and the size checks.</summary>
public sealed class OnnxTensorReaderTests
{
    private static TensorProto Proto(DataType type, params long[] dims)
    {
        var p = new TensorProto { Name = "t", DataType = (int)type };
        p.Dims.AddRange(dims);
        return p;
    }

    private static Tensor Read(TensorProto p) => OnnxTensorReader.Read(p, "initializer 't'", "m.onnx");

    [Fact]
    public void ReadsTypedFields()
    {
        TensorProto f = Proto(DataType.Float32, 2, 2);
        f.FloatData.AddRange([1.5f, -2f, 0f, 3.25f]);
        Assert.Equal([1.5f, -2f, 0f, 3.25f], Read(f).AsSpan<float>().ToArray());
        Assert.Equal([2, 2], Read(f).ShapeArray());

        TensorProto d = Proto(DataType.Float64, 2);
        d.DoubleData.AddRange([1e300, -0.5]);
        Assert.Equal([1e300, -0.5], Read(d).AsSpan<double>().ToArray());

        TensorProto l = Proto(DataType.Int64, 3);
        l.Int64Data.AddRange([long.MinValue, 0, long.MaxValue]);
        Assert.Equal([long.MinValue, 0, long.MaxValue], Read(l).AsSpan<long>().ToArray());

        TensorProto u64 = Proto(DataType.UInt64, 1);
        u64.Uint64Data.Add(ulong.MaxValue);
        Assert.Equal([ulong.MaxValue], Read(u64).AsSpan<ulong>().ToArray());

        TensorProto u32 = Proto(DataType.UInt32, 2);
        u32.Uint64Data.AddRange([uint.MaxValue, 7]);
        Assert.Equal([uint.MaxValue, 7u], Read(u32).AsSpan<uint>().ToArray());
    }

    [Fact]
    public void ReadsInt32DataForNarrowTypes()
    {
        TensorProto i8 = Proto(DataType.Int8, 3);
        i8.Int32Data.AddRange([-128, 0, 127]);
        Assert.Equal([(sbyte)-128, (sbyte)0, (sbyte)127], Read(i8).AsSpan<sbyte>().ToArray());

        TensorProto u8 = Proto(DataType.UInt8, 2);
        u8.Int32Data.AddRange([0, 255]);
        Assert.Equal([(byte)0, (byte)255], Read(u8).AsSpan<byte>().ToArray());

        TensorProto i16 = Proto(DataType.Int16, 2);
        i16.Int32Data.AddRange([-32768, 32767]);
        Assert.Equal([(short)-32768, (short)32767], Read(i16).AsSpan<short>().ToArray());

        TensorProto u16 = Proto(DataType.UInt16, 1);
        u16.Int32Data.Add(65535);
        Assert.Equal([(ushort)65535], Read(u16).AsSpan<ushort>().ToArray());

        TensorProto b = Proto(DataType.Bool, 3);
        b.Int32Data.AddRange([1, 0, 1]);
        Assert.Equal([true, false, true], Read(b).AsSpan<bool>().ToArray());

        TensorProto h = Proto(DataType.Float16, 2);
        h.Int32Data.AddRange([BitConverter.HalfToUInt16Bits((Half)1.5f), BitConverter.HalfToUInt16Bits((Half)(-2f))]);
        Assert.Equal([(Half)1.5f, (Half)(-2f)], Read(h).AsSpan<Half>().ToArray());

        TensorProto bf = Proto(DataType.BFloat16, 1);
        bf.Int32Data.Add(0x3FC0); // 1.5 in bfloat16
        Assert.Equal([(ushort)0x3FC0], Read(bf).AsSpan<ushort>().ToArray());

        TensorProto i32 = Proto(DataType.Int32, 2);
        i32.Int32Data.AddRange([int.MinValue, int.MaxValue]);
        Assert.Equal([int.MinValue, int.MaxValue], Read(i32).AsSpan<int>().ToArray());
    }

    [Fact]
    public void ReadsRawDataLittleEndian()
    {
        TensorProto f = Proto(DataType.Float32, 2);
        f.RawData = ByteString.CopyFrom([0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0]); // 1.5f, -2f
        Assert.Equal([1.5f, -2f], Read(f).AsSpan<float>().ToArray());

        TensorProto i = Proto(DataType.Int64, 1);
        i.RawData = ByteString.CopyFrom([0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        Assert.Equal([-2L], Read(i).AsSpan<long>().ToArray());

        TensorProto b = Proto(DataType.Bool, 2);
        b.RawData = ByteString.CopyFrom([1, 0]);
        Assert.Equal([true, false], Read(b).AsSpan<bool>().ToArray());
    }

    [Fact]
    public void UnpacksFourBitTypesLowNibbleFirst()
    {
        TensorProto s = Proto(DataType.Int4, 3);
        s.RawData = ByteString.CopyFrom([0x8F, 0x07]); // -1 (0xF), -8 (0x8), 7
        Assert.Equal([(sbyte)-1, (sbyte)-8, (sbyte)7], Read(s).AsSpan<sbyte>().ToArray());

        TensorProto u = Proto(DataType.UInt4, 3);
        u.Int32Data.AddRange([0x5A, 0x0F]); // packed in int32_data the same way
        Assert.Equal([(byte)10, (byte)5, (byte)15], Read(u).AsSpan<byte>().ToArray());

        TensorProto f4 = Proto(DataType.Float4E2M1, 2);
        f4.RawData = ByteString.CopyFrom([0x9A]); // codes 0xA then 0x9
        Assert.Equal([(byte)0xA, (byte)0x9], Read(f4).AsSpan<byte>().ToArray());
    }

    [Fact]
    public void UnpacksTwoBitTypesLowestBitsFirst()
    {
        TensorProto s = Proto(DataType.Int2, 5);
        s.RawData = ByteString.CopyFrom([0b_01_00_10_11, 0b_10]); // 3→-1, 2→-2, 0, 1, then 2→-2
        Assert.Equal([(sbyte)-1, (sbyte)-2, (sbyte)0, (sbyte)1, (sbyte)-2], Read(s).AsSpan<sbyte>().ToArray());

        TensorProto u = Proto(DataType.UInt2, 4);
        u.Int32Data.Add(0b_11_10_01_00);
        Assert.Equal([(byte)0, (byte)1, (byte)2, (byte)3], Read(u).AsSpan<byte>().ToArray());
    }

    [Fact]
    public void ReadsEmptyTensors()
    {
        Tensor t = Read(Proto(DataType.Float32, 0, 3));
        Assert.Equal(0, t.Length);
        Assert.Equal([0, 3], t.ShapeArray());
        Assert.Equal(0, Read(Proto(DataType.Int64, 10_000, 0, 10_000)).Length);
        // Even an empty tensor's other dimensions must multiply without overflow.
        Assert.Throws<InvalidModelException>(() => Read(Proto(DataType.Float32, int.MaxValue, int.MaxValue, int.MaxValue, 0)));
    }

    [Fact]
    public void RejectsDataShorterOrLongerThanTheShape()
    {
        TensorProto raw = Proto(DataType.Float32, 1_000_000);
        raw.RawData = ByteString.CopyFrom(new byte[16]);
        var e = Assert.Throws<InvalidModelException>(() => Read(raw));
        Assert.Contains("initializer 't'", e.Message);
        Assert.Contains("raw_data holds 16 bytes", e.Message);

        TensorProto typed = Proto(DataType.Float32, 3);
        typed.FloatData.AddRange([1f, 2f]);
        Assert.Contains("float_data holds 2", Assert.Throws<InvalidModelException>(() => Read(typed)).Message);

        TensorProto none = Proto(DataType.Int64, 2);
        Assert.Contains("carries no data", Assert.Throws<InvalidModelException>(() => Read(none)).Message);

        TensorProto packed = Proto(DataType.Int4, 5);
        packed.RawData = ByteString.CopyFrom([0, 0]);
        Assert.Contains("3 bytes", Assert.Throws<InvalidModelException>(() => Read(packed)).Message);
    }

    [Fact]
    public void RejectsAbsurdDimensionsBeforeAllocating()
    {
        TensorProto huge = Proto(DataType.Float32, 1L << 40);
        huge.RawData = ByteString.CopyFrom(new byte[4]);
        Assert.Contains("dimension 0", Assert.Throws<InvalidModelException>(() => Read(huge)).Message);

        TensorProto product = Proto(DataType.Float32, int.MaxValue, int.MaxValue);
        product.RawData = ByteString.CopyFrom(new byte[4]);
        Assert.Contains("more elements", Assert.Throws<InvalidModelException>(() => Read(product)).Message);

        Assert.Contains("dimension 1", Assert.Throws<InvalidModelException>(() => Read(Proto(DataType.Float32, 2, -1))).Message);
        Assert.Contains("rank", Assert.Throws<InvalidModelException>(() => Read(Proto(DataType.Float32, Enumerable.Repeat(1L, 40).ToArray()))).Message);
    }

    [Fact]
    public void RejectsWhatTheEngineCannotHold()
    {
        TensorProto s = Proto(DataType.Float32, 1);
        s.DataType = 8; // STRING
        s.StringData.Add(ByteString.CopyFromUtf8("a"));
        Assert.Contains("STRING", Assert.Throws<InvalidModelException>(() => Read(s)).Message);

        TensorProto fp8 = Proto(DataType.Float32, 1);
        fp8.DataType = 17;
        fp8.RawData = ByteString.CopyFrom([0]);
        Assert.Contains("FLOAT8E4M3FN (17) is not supported", Assert.Throws<InvalidModelException>(() => Read(fp8)).Message);

        TensorProto external = Proto(DataType.Float32, 4);
        external.DataLocation = TensorProto.Types.DataLocation.External;
        external.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        var e = Assert.Throws<InvalidModelException>(() => Read(external));
        Assert.Contains("weights.bin", e.Message);
        Assert.Contains("external", e.Message);

        TensorProto segmented = Proto(DataType.Float32, 1);
        segmented.Segment = new TensorProto.Types.Segment { Begin = 0, End = 1 };
        Assert.Contains("segment", Assert.Throws<InvalidModelException>(() => Read(segmented)).Message);

        TensorProto both = Proto(DataType.Float32, 1);
        both.FloatData.Add(1);
        both.RawData = ByteString.CopyFrom(new byte[4]);
        Assert.Contains("more than one data field", Assert.Throws<InvalidModelException>(() => Read(both)).Message);
    }
}

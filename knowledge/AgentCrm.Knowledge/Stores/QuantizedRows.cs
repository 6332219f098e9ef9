using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AgentCrm.Knowledge.Stores;

/// <summary>
/// An int8 copy of the vector matrix (one scale per row) for the first pass of a large scan: a quarter of the bytes
/// to stream from memory. Candidates are re-scored with the exact float vectors, so results stay exact for any
/// realistic candidate count.
/// </summary>
internal sealed class QuantizedRows
{
    private readonly sbyte[] _values;
    private readonly float[] _scales;
    private readonly int _dimension;
    private readonly int _stride;

    public QuantizedRows(float[] matrix, int rows, int dimension)
    {
        _dimension = dimension;
        _stride = (dimension + 31) / 32 * 32;
        _values = new sbyte[rows * _stride];
        _scales = new float[rows];
        for (var row = 0; row < rows; row++)
        {
            _scales[row] = Quantize(matrix.AsSpan(row * dimension, dimension), _values.AsSpan(row * _stride, _stride));
        }
    }

    /// <summary>Approximate dot products of every row with the query, for rows that <paramref name="include"/> accepts.</summary>
    public void Candidates(ReadOnlySpan<float> query, int count, Func<int, bool>? include, PriorityQueue<int, float> heap)
    {
        var quantized = new sbyte[_stride];
        var queryScale = Quantize(query, quantized);
        var widened = new short[_stride];
        for (var i = 0; i < _stride; i++)
        {
            widened[i] = quantized[i];
        }

        var floor = float.NegativeInfinity;
        for (var row = 0; row < _scales.Length; row++)
        {
            var score = Dot(_values.AsSpan(row * _stride, _stride), widened) * _scales[row] * queryScale;
            if (score <= floor || (include is not null && !include(row)))
            {
                continue;
            }

            heap.Enqueue(row, score);
            if (heap.Count > count)
            {
                heap.Dequeue();
                heap.TryPeek(out _, out floor);
            }
        }
    }

    private static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> target)
    {
        target.Clear();
        var max = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(vector);
        if (max == 0)
        {
            return 0;
        }

        var factor = 127f / max;
        for (var i = 0; i < vector.Length; i++)
        {
            target[i] = (sbyte)MathF.Round(vector[i] * factor);
        }

        return 1f / factor;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Dot(ReadOnlySpan<sbyte> row, ReadOnlySpan<short> query)
    {
        if (Avx2.IsSupported)
        {
            ref var r = ref MemoryMarshal.GetReference(row);
            ref var q = ref MemoryMarshal.GetReference(query);
            var sum = Vector256<int>.Zero;
            for (var i = 0; i < row.Length; i += 32)
            {
                var bytes = Vector256.LoadUnsafe(ref r, (nuint)i);
                var (low, high) = Vector256.Widen(bytes);
                sum = Avx2.Add(sum, Avx2.MultiplyAddAdjacent(low, Vector256.LoadUnsafe(ref q, (nuint)i)));
                sum = Avx2.Add(sum, Avx2.MultiplyAddAdjacent(high, Vector256.LoadUnsafe(ref q, (nuint)i + 16)));
            }

            return Vector256.Sum(sum);
        }

        var total = 0;
        for (var i = 0; i < row.Length; i++)
        {
            total += row[i] * query[i];
        }

        return total;
    }
}

using System;
using System.Text;

namespace TLDsl.Runtime.Tests.Fixtures;

/// <summary>
/// The "hash-init" weights of tests/fixtures/scripts/make_torch_fixtures.py, bit for bit: every state-dict value is a
/// function of its key and index, so the 45 MB resnet18 fixture need not be committed.
/// </summary>
internal static class HashInit
{
    public static uint Fnv1a32(string text)
    {
        var h = 0x811C9DC5u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h = unchecked(h * 0x01000193u);
        }

        return h;
    }

    /// <summary>float32 values in [-1, 1), exactly representable.</summary>
    public static float[] Uniform(string key, long count)
    {
        var seed = Fnv1a32(key);
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            var x = unchecked((uint)i * 0x9E3779B9u + seed);
            x ^= x >> 16;
            x = unchecked(x * 0x85EBCA6Bu);
            x ^= x >> 13;
            x = unchecked(x * 0xC2B2AE35u);
            x ^= x >> 16;
            var u = (long)(x >> 8) - (1L << 23);
            values[i] = (float)(u / (double)(1 << 23));
        }

        return values;
    }

    public static float[] Values(string key, long[] shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }

        var v = Uniform(key, count);
        if (shape.Length >= 2)
        {
            var bound = (float)Math.Sqrt(6.0 / (count / shape[0]));
            for (var i = 0; i < v.Length; i++)
            {
                v[i] *= bound;
            }
        }
        else if (key.EndsWith("running_var", StringComparison.Ordinal))
        {
            Apply(v, x => 1f + (0.5f * x));
        }
        else if (key.EndsWith("running_mean", StringComparison.Ordinal))
        {
            Apply(v, x => 0.1f * x);
        }
        else if (key.EndsWith("weight", StringComparison.Ordinal))
        {
            Apply(v, x => 1f + (0.25f * x));
        }
        else if (key.EndsWith("bias", StringComparison.Ordinal))
        {
            Apply(v, x => 0.1f * x);
        }
        else
        {
            throw new ArgumentException($"no hash-init rule for {key}");
        }

        return v;
    }

    private static void Apply(float[] values, Func<float, float> f)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = f(values[i]);
        }
    }
}

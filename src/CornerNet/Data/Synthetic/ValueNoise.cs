namespace CornerNet.Data;

/// <summary>
/// Smooth random texture for the synthetic shapes: value noise (random values on a coarse grid,
/// interpolated with smoothstep) summed over a few octaves. Written here rather than taken from
/// Skia's Perlin shader because it is much faster and its output cannot change with Skia's version.
/// </summary>
internal static class ValueNoise
{
    /// <summary>
    /// A <paramref name="size"/> × <paramref name="size"/> field in [0, 1] (row-major) whose coarsest
    /// grid has <paramref name="cells"/> cells per side; each further octave doubles the grid and halves the weight.
    /// </summary>
    public static float[] Generate(int size, int cells, int octaves, Random random)
    {
        var field = new float[size * size];
        float weight = 1, total = 0;
        for (int o = 0; o < octaves; o++, cells *= 2, weight /= 2)
        {
            AddOctave(field, size, cells, weight, random);
            total += weight;
        }
        for (int i = 0; i < field.Length; i++) field[i] /= total;
        return field;
    }

    static void AddOctave(float[] field, int size, int cells, float weight, Random random)
    {
        int n = cells + 1;
        var grid = new float[n * n];
        for (int i = 0; i < grid.Length; i++) grid[i] = (float)random.NextDouble();
        float step = (float)cells / size;
        // Per column: the grid cell and the smoothed fraction, shared by all rows.
        var cellX = new int[size];
        var fracX = new float[size];
        for (int x = 0; x < size; x++)
        {
            float gx = (x + 0.5f) * step;
            cellX[x] = Math.Min((int)gx, cells - 1);
            fracX[x] = Smooth(gx - cellX[x]);
        }
        for (int y = 0; y < size; y++)
        {
            float gy = (y + 0.5f) * step;
            int cy = Math.Min((int)gy, cells - 1);
            float fy = Smooth(gy - cy);
            int row0 = cy * n, row1 = row0 + n;
            for (int x = 0; x < size; x++)
            {
                int cx = cellX[x];
                float fx = fracX[x];
                float top = grid[row0 + cx] + (grid[row0 + cx + 1] - grid[row0 + cx]) * fx;
                float bottom = grid[row1 + cx] + (grid[row1 + cx + 1] - grid[row1 + cx]) * fx;
                field[y * size + x] += weight * (top + (bottom - top) * fy);
            }
        }
    }

    static float Smooth(float t) => t * t * (3 - 2 * t);
}

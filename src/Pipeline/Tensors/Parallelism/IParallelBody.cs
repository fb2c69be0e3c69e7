namespace Pipeline.Tensors.Parallelism;

/// <summary>
/// The body of a parallel loop, as a struct so that dispatch is a direct call with no delegate or closure allocation.
/// <see cref="Invoke"/> may run on any pool thread, concurrently for different indices.
/// </summary>
internal interface IParallelBody
{
    /// <summary>Runs one item (a tile, a row block, an image of a batch) of the loop.</summary>
    void Invoke(int index);
}

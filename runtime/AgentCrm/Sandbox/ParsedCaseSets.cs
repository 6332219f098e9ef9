using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox;

/// <summary>
/// The parsed case sets kept between uses, by name: the shipped ones always (a few thousand cases each), others up to
/// <c>maxCases</c> cases in all, the least recently used dropped first; a set larger than that alone is not kept.
/// </summary>
internal sealed class ParsedCaseSets(int maxCases, IEnumerable<string> pinned)
{
    private readonly HashSet<string> _pinned = pinned.ToHashSet(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedListNode<CaseSet>> _byName = new(StringComparer.Ordinal);
    private readonly LinkedList<CaseSet> _recent = new();
    private long _cases;

    /// <summary>Cases kept beside the shipped sets (for tests and metrics).</summary>
    public long Cases
    {
        get
        {
            lock (_recent)
                return _cases;
        }
    }

    /// <summary>The set kept under <paramref name="name"/> when it holds <paramref name="hash"/> (a name removed and added again holds another).</summary>
    public CaseSet? Get(string name, string hash)
    {
        lock (_recent)
        {
            if (!_byName.TryGetValue(name, out var node) || node.Value.Hash != hash)
                return null;
            _recent.Remove(node);
            _recent.AddFirst(node);
            return node.Value;
        }
    }

    /// <summary>Keeps <paramref name="set"/>; returns the cases of the sets left out for it (it, being too large, or older ones).</summary>
    public int Keep(CaseSet set)
    {
        lock (_recent)
        {
            RemoveLocked(set.Name);
            if (!_pinned.Contains(set.Name) && set.Cases.Count > maxCases)
                return set.Cases.Count;
            var dropped = 0;
            _byName[set.Name] = _recent.AddFirst(set);
            if (!_pinned.Contains(set.Name))
                _cases += set.Cases.Count;
            for (var oldest = _recent.Last; _cases > maxCases && oldest is not null;)
            {
                var previous = oldest.Previous;
                if (!_pinned.Contains(oldest.Value.Name))
                {
                    dropped += oldest.Value.Cases.Count;
                    RemoveLocked(oldest.Value.Name);
                }
                oldest = previous;
            }
            return dropped;
        }
    }

    public void Forget(string name)
    {
        lock (_recent)
            RemoveLocked(name);
    }

    private void RemoveLocked(string name)
    {
        if (!_byName.Remove(name, out var node))
            return;
        _recent.Remove(node);
        if (!_pinned.Contains(name))
            _cases -= node.Value.Cases.Count;
    }
}

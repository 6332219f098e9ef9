namespace AgentCrm.Agents.Customers;

/// <summary>The kind of value a snapshot field holds.</summary>
public enum FieldKind
{
    Number,
    Text,
}

namespace AgentCrm.Server;

/// <summary>
/// Writes a problem the framework's own writer declines: that one writes only for clients whose <c>Accept</c> takes JSON, so
/// an unhandled error asked for with <c>Accept: text/html</c> (a browser) answered a 500 with an empty body, a missing route
/// plain text, and a refused credential threw. Every error is ProblemDetails (API.md), so this writer, registered after the
/// framework's, takes any <c>Accept</c> and hands the problem to the framework's writer, whose writing ignores <c>Accept</c>
/// (only its choice does): the same body — title, type, <c>traceId</c>, our customisation — for every client.
/// </summary>
internal sealed class AnyAcceptProblemWriter(IServiceProvider services) : IProblemDetailsWriter
{
    // Resolved on first use: the writers are resolved together, so asking for them while this one is built would be a cycle.
    private readonly Lazy<IProblemDetailsWriter> _framework = new(() =>
        services.GetServices<IProblemDetailsWriter>().First(w => w is not AnyAcceptProblemWriter));

    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context) => _framework.Value.WriteAsync(context);
}

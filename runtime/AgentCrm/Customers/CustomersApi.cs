using AgentCrm.Actors;
using AgentCrm.Agents;
using AgentCrm.Briefs;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Customers;

public sealed record CustomerView(string Id, DateTimeOffset AsOf, IReadOnlyDictionary<string, SnapshotField> Fields, IReadOnlyList<Brief> OpenBriefs);

public static class CustomersApi
{
    public static RouteGroupBuilder MapCustomersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/customers").WithTags("Customers");
        group.MapGet("/{id}", GetCustomer).WithName("GetCustomer").WithSummary("Snapshot features as agents see them, and open briefs.");
        return group;
    }

    public static async Task<Results<Ok<CustomerView>, ProblemHttpResult>> GetCustomer(string id, IActorHost host, BriefStore briefs, CancellationToken cancellationToken)
    {
        if (await host.InvokeAsync(new ActorId(CustomerActor.TypeName, id), CustomerActor.SnapshotMethod, null, cancellationToken) is not CustomerSnapshot snapshot)
            return Problems.NotFound($"No events have been processed for customer '{id}'.");
        var open = briefs.Query(new BriefQuery(id, null, null, null, null, BriefsApi.MaxLimit, null)).Items
            .Where(b => b.Status is BriefStatus.Delivered or BriefStatus.PendingReview).ToList();
        return TypedResults.Ok(new CustomerView(id, snapshot.AsOf, snapshot.Fields, open));
    }
}

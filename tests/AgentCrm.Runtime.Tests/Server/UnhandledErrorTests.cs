using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>Errors the framework answers (a bug: 500 with a traceId; no route: 404) are ProblemDetails whatever the client says it accepts.</summary>
public sealed class UnhandledErrorTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("text/html")]
    [InlineData("text/html, application/xhtml+xml")]
    [InlineData("image/png")]
    [InlineData("application/json")]
    public async Task Bug_AnswersProblemDetails_WhateverTheAcceptHeader(string? accept)
    {
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddTransient<IStartupFilter, ThrowingRoute>());
        using var request = new HttpRequestMessage(HttpMethod.Get, ThrowingRoute.Path);
        if (accept is not null)
            request.Headers.Accept.ParseAdd(accept);
        using var response = await app.Client.SendAsync(request);
        var problem = await response.ProblemAsync(HttpStatusCode.InternalServerError);
        Assert.Equal(500, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        // Never the exception's text: it may carry internals.
        Assert.DoesNotContain(ThrowingRoute.Secret, problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingRoute_AskedByABrowser_AnswersProblemDetails()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/no-such-resource");
        request.Headers.Accept.ParseAdd("text/html, application/xhtml+xml");
        using var response = await app.Client.SendAsync(request);
        var problem = await response.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("/openapi/v1.json", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A path no endpoint serves whose request fails inside the pipeline, as a bug would.</summary>
    private sealed class ThrowingRoute : IStartupFilter
    {
        public const string Path = "/test/throws";
        public const string Secret = "/internal/path/of/the/bug";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use((HttpContext context, RequestDelegate nextMiddleware) =>
                context.Request.Path == Path ? throw new InvalidOperationException(Secret) : nextMiddleware(context));
        };
    }
}

using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>Ingesting files and folders, each document under the id its file name gives: every file checked before any is stored.</summary>
public static class KnowledgeFileIngest
{
    /// <summary>Ingests every Markdown, HTML and text file under <paramref name="path"/> (recursively, in name order), id from the file name; all or nothing.</summary>
    public static Task<IReadOnlyList<IngestResult>> IngestDirectoryAsync(this KnowledgeService service, string path, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default) =>
        service.IngestFilesAsync(DocumentFolder.Of(path).Files, progress, cancellationToken);

    /// <summary>
    /// Ingests files, each under the id its name gives (<see cref="DocumentIds.FromFileName"/>). Every file is read and parsed
    /// before any is stored, so one bad file (empty, binary, unknown type, an id another file also gives) stores nothing.
    /// Documents are then stored one by one: a store failure halfway throws <see cref="KnowledgeIngestIncompleteException"/>
    /// naming those already stored. With <c>storing</c>, called once every file is read and checked and before the first
    /// document is stored, the cancellation token is no longer heeded from then on, so a stop never leaves some documents
    /// stored and the caller told none were (the CLI holds a signal off until its audit is written). With <c>record</c>, each
    /// document's change is recorded as it is stored (<see cref="KnowledgeService.IngestAsync(string, DocumentType, string?, string?, IReadOnlyList{string}?, string?, string?, Func{IngestResult, Task}?, CancellationToken, long?)"/>):
    /// one whose record fails is undone, and the exception says so, or, when the undo failed too, that it is stored without its record.
    /// <paramref name="maxBytes"/> is the size limit each file is held to, <c>Knowledge:MaxDocumentBytes</c> when not given (the
    /// CLI's ingest, an upload); the documents AgentCrm ships are not uploads and pass <see cref="long.MaxValue"/>.
    /// </summary>
    public static async Task<IReadOnlyList<IngestResult>> IngestFilesAsync(this KnowledgeService service, IReadOnlyList<string> files, IProgress<(int Done, int Total)>? progress = null,
        CancellationToken cancellationToken = default, Action? storing = null, Func<IngestResult, Task>? record = null, long? maxBytes = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(files);
        var documents = new List<(string File, string Text, DocumentType Type, string Id)>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var limit = maxBytes ?? service.Options.MaxDocumentBytes;
        foreach (var file in files)
        {
            try
            {
                if (!DocumentTypes.TryFromPath(file, out var type))
                {
                    throw new KnowledgeInputException("Unknown document type; use .md, .html or .txt.");
                }

                var id = DocumentIds.FromFileName(file) ?? throw new KnowledgeInputException("The file name gives no document id: it has no letter or digit.");
                if (ids.TryGetValue(id, out var other))
                {
                    throw new KnowledgeInputException($"{other} gives the same document id '{id}'.");
                }

                // Measured before it is read, through the open file (a symbolic link's target, not the link): a file past the limit
                // is not loaded whole to be refused (a 1.5 GB one took 1.7 GB of memory, and one past 2 GB failed in .NET's words,
                // naming no file; qa41b #2, rev41 #3).
                byte[] content;
                try
                {
                    await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, useAsync: true);
                    if (stream.Length > limit)
                    {
                        throw new KnowledgeInputException($"The document is {stream.Length:N0} bytes; the limit is {limit:N0} (Knowledge:MaxDocumentBytes).");
                    }

                    if (stream.Length > Array.MaxLength)
                    {
                        // A Knowledge:MaxDocumentBytes set past what one read can hold (rev41b #2).
                        throw new KnowledgeInputException($"The document is {stream.Length:N0} bytes; at most {Array.MaxLength:N0} can be read at once.");
                    }

                    content = new byte[stream.Length];
                    await stream.ReadExactlyAsync(content, cancellationToken);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    throw new KnowledgeInputException($"It cannot be read ({exception.Message.TrimEnd('.')}).", exception);
                }

                var text = DocumentParser.Decode(content, limit);
                DocumentParser.Parse(text, type, limit);
                ids[id] = file;
                documents.Add((file, text, type, id));
            }
            catch (KnowledgeInputException exception)
            {
                throw new KnowledgeInputException($"{file}: {exception.Message} Nothing was ingested.", exception);
            }
        }

        var results = new List<IngestResult>();
        // Whether the failure was the record's (the change then undone) rather than the store's.
        var recordFailed = false;
        Func<IngestResult, Task>? recorded = record is null ? null : async result =>
        {
            try
            {
                await record(result);
            }
            catch
            {
                recordFailed = true;
                throw;
            }
        };
        cancellationToken.ThrowIfCancellationRequested();
        storing?.Invoke();
        progress?.Report((0, documents.Count));
        foreach (var (file, text, type, id) in documents)
        {
            try
            {
                results.Add(await service.IngestAsync(text, type, id, record: recorded, cancellationToken: storing is null ? cancellationToken : CancellationToken.None, maxBytes: limit));
            }
            catch (KnowledgeChangeNotUndoneException exception)
            {
                // Its record failed and so did the undo: this one is stored too, without its record.
                throw new KnowledgeIngestIncompleteException(file, [.. results.Select(r => r.DocumentId), id], documents.Count, exception);
            }
            catch (Exception exception) when (exception is not OperationCanceledException and not KnowledgeInputException)
            {
                // Each document is stored on its own, so a store failure halfway leaves the earlier ones: say which.
                throw new KnowledgeIngestIncompleteException(file, [.. results.Select(r => r.DocumentId)], documents.Count, exception, recordFailed);
            }

            progress?.Report((results.Count, documents.Count));
        }

        return results;
    }
}

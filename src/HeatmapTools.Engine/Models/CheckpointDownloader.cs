using System.Security.Cryptography;

namespace HeatmapTools.Engine.Models;

/// <summary>
/// Downloads a checkpoint into a temporary file beside its destination, verifies its SHA-256 against the prefix
/// torchvision embeds in the file name, and only then renames it into place: a broken or tampered download never
/// becomes a file the next run would trust. Progress goes to the run's listener (a few updates a second).
/// </summary>
public static class CheckpointDownloader
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromMinutes(30) };

    public static void Download(Uri url, string destination, string? sha256Prefix, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        string temp = destination + ".partial-" + Guid.NewGuid().ToString("N");
        string fileName = Path.GetFileName(destination);
        try
        {
            using (var response = SendOrThrow(url, cancellation))
            using (var body = response.Content.ReadAsStream(cancellation))
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                long? total = response.Content.Headers.ContentLength;
                var buffer = new byte[1 << 16];
                long received = 0;
                int read;
                var listener = Running.RunScope.Current;
                var shown = DateTime.MinValue;
                while ((read = body.Read(buffer, 0, buffer.Length)) > 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                    file.Write(buffer, 0, read);
                    sha.AppendData(buffer, 0, read);
                    received += read;
                    if ((DateTime.UtcNow - shown).TotalMilliseconds >= 250 || received == total)
                    {
                        shown = DateTime.UtcNow;
                        listener.Progress($"Downloading {fileName}: {received / 1048576.0:F1} MB", total is long all && all > 0 ? Math.Min(1.0, (double)received / all) : null);
                    }
                }
                string digest = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
                if (sha256Prefix is not null && !digest.StartsWith(sha256Prefix, StringComparison.OrdinalIgnoreCase))
                    throw new HeatmapToolsException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                        $"Download of '{url}' is corrupt: its SHA-256 is {digest}, which does not start with {sha256Prefix}. Nothing was saved.", url.ToString());
            }
            File.Move(temp, destination, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static HttpResponseMessage SendOrThrow(Uri url, CancellationToken cancellation)
    {
        try
        {
            var response = Client.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, cancellation);
            if (!response.IsSuccessStatusCode)
            {
                response.Dispose();
                throw new HeatmapToolsException(ErrorIds.DownloadFailed, ErrorKind.ConnectionError,
                    $"Downloading '{url}' failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.", url.ToString());
            }
            return response;
        }
        catch (HttpRequestException ex)
        {
            throw new HeatmapToolsException(ErrorIds.DownloadFailed, ErrorKind.ConnectionError,
                $"Downloading '{url}' failed: {ex.Message}. Set HEATMAPTOOLS_OFFLINE=1 and provide weights with -WeightsPath or HEATMAPTOOLS_MODEL_PATH.", url.ToString(), ex);
        }
    }
}

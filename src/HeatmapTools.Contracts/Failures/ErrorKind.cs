namespace HeatmapTools;

/// <summary>
/// The kind of a failure, member for member and value for value PowerShell's ErrorCategory (which the engine cannot
/// reference): the cmdlets convert by value, and a Pester test checks every member against ErrorCategory.
/// </summary>
public enum ErrorKind
{
    NotSpecified = 0,
    InvalidArgument = 5,
    InvalidData = 6,
    InvalidOperation = 7,
    InvalidResult = 8,
    InvalidType = 9,
    NotImplemented = 11,
    NotInstalled = 12,
    ObjectNotFound = 13,
    OperationStopped = 14,
    PermissionDenied = 18,
    ResourceExists = 20,
    ResourceUnavailable = 21,
    ReadError = 22,
    WriteError = 23,
    ConnectionError = 27,
    LimitsExceeded = 29,
}

"""Function failures as CloudFront reports them to the viewer.

The split is CloudFront's: a handler that could not run or did not finish is a 503, a handler
that ran but returned something CloudFront cannot use is a 502.
"""

from __future__ import annotations


class FunctionError(Exception):
    status = 503
    kind = "LambdaExecutionError"  # the X-Cache / log label, as CloudFront names it
    cause = "The Lambda function associated with the CloudFront distribution is invalid or doesn't have the required permissions."

    def __init__(self, message: str, *, error_type: str | None = None):
        super().__init__(message)
        self.message = message
        self.error_type = error_type  # Lambda's errorType, e.g. "Runtime.ImportModuleError"
        self.init_ms: float | None = None  # set when the invocation that failed was a cold start


class ExecutionError(FunctionError):
    """The handler raised, timed out, ran out of memory, crashed or could not be loaded."""


class ThrottledError(FunctionError):
    kind = "LambdaLimitExceeded"
    cause = "The Lambda function associated with the CloudFront distribution was throttled."


class ValidationError(FunctionError):
    """The handler returned a result that breaks one of CloudFront's rules."""

    status = 502
    kind = "LambdaValidationError"
    cause = "The Lambda function result failed validation."

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field  # the part of the result that broke the rule, e.g. "headers.via"

"""zengshou (增收): the command line that ties the forecast and simulation packages together."""

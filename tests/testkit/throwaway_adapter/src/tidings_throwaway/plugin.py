from tidings.adapters import hookimpl


@hookimpl
def tidings_register_adapters(register):
    register("throwaway", "tidings_throwaway.adapter:ThrowawayAdapter", aliases=("tw",))

collect_ignore = ["throwaway_adapter"]
